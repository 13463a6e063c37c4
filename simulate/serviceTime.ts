import { meanOf, quantileOf, sampleOf, Z99, type LogNormal } from './lognormal';
import type { Random } from '../bench/lib/random';

/**
 * A command's service-time distribution (ms): the lognormal calibrated from measurements, or an
 * exponential, whose queues queueing theory solves exactly (the model is checked against it).
 */
export type ServiceTime = ({ readonly shape: 'lognormal' } & LogNormal) | { readonly shape: 'exponential'; readonly mean: number };

export const lognormalService = (d: LogNormal): ServiceTime => ({ shape: 'lognormal', mu: d.mu, sigma: d.sigma });

export const serviceMean = (d: ServiceTime): number => (d.shape === 'lognormal' ? meanOf(d) : d.mean);

export const serviceP99 = (d: ServiceTime): number => (d.shape === 'lognormal' ? quantileOf(d, Z99) : d.mean * Math.log(100));

export const sampleService = (d: ServiceTime, random: Random): number => (d.shape === 'lognormal' ? sampleOf(d, random) : random.exponential(d.mean));

/**
 * What one object call of n reserves costs on this machine, a + b·n ms (bench/results/batch-cost.json,
 * least squares). Only its shape is used: the documented rates fix what one call costs.
 */
export type BatchCost = { readonly aMs: number; readonly bMs: number };

/** A batch of `n` reserves relative to a call of one: 1 at n = 1, so one reserve costs what it did. */
export const batchFactor = (cost: BatchCost, n: number): number => (cost.aMs + cost.bMs * n) / (cost.aMs + cost.bMs);
