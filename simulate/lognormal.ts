import type { Random } from '../bench/lib/random';

/** z of the 99th percentile of the standard normal. */
export const Z99 = 2.3263478740408408;

/** A lognormal distribution: ln X ~ Normal(mu, sigma²). Times in milliseconds. */
export type LogNormal = { readonly mu: number; readonly sigma: number };

/**
 * Fits a lognormal to a measured median and 99th percentile: the median fixes mu and the
 * p99/p50 ratio fixes the tail (sigma). Two published percentiles are all a benchmark gives us.
 */
export function fitMedianP99(median: number, p99: number): LogNormal {
  if (!(median > 0) || !(p99 >= median)) throw new Error(`cannot fit a lognormal to p50 ${median}, p99 ${p99}`);
  return { mu: Math.log(median), sigma: Math.log(p99 / median) / Z99 };
}

export const meanOf = (d: LogNormal): number => Math.exp(d.mu + (d.sigma * d.sigma) / 2);

export const quantileOf = (d: LogNormal, z: number): number => Math.exp(d.mu + d.sigma * z);

/** The same tail shape (sigma) moved to another mean: how a measured cost is rescaled to a documented rate. */
export const withMean = (d: LogNormal, mean: number): LogNormal => ({ mu: Math.log(mean) - (d.sigma * d.sigma) / 2, sigma: d.sigma });

export const sampleOf = (d: LogNormal, random: Random): number => Math.exp(d.mu + d.sigma * random.normal());
