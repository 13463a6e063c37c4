export * from './decide';
export * from './messages';
export * from './saga';
export * from './reference';
