import type { Decider } from '../core/decider';
import type { SkuCommand } from './commands';
import { decide } from './decide';
import type { SkuError } from './errors';
import type { SkuEvent } from './events';
import { evolve } from './evolve';
import { initialSkuState, type SkuState } from './state';

export const skuDecider: Decider<SkuState, SkuCommand, SkuEvent, SkuError> = {
  decide,
  evolve,
  initialState: initialSkuState,
};

export * from './commands';
export * from './errors';
export * from './events';
export * from './limits';
export * from './snapshot';
export * from './state';
export * from './view';
export { decide, evolve };
