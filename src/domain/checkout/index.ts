export * from './cart';
export * from './checkout';
export * from './events';
