export * from './cart';
export * from './checkout';
export * from './events';
export * from './orderView';
export * from './skuAnswers';
export * from './upcast';
