export * from './cart';
export * from './checkout';
