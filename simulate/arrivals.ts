import type { ArrivalCurve } from './params';
import type { Random } from '../bench/lib/random';

/**
 * A buyer's first click, drawn from the stated curve: density rising linearly from the sale's
 * opening to a peak at `rampMs` (the countdown ends, pages refresh), then decaying exponentially
 * with time constant `decayMs`, cut off at `windowMs`. Inverse transform sampling per segment.
 */
export function arrivalTime(random: Random, curve: ArrivalCurve): number {
  const { rampMs, decayMs, windowMs } = curve;
  const tail = 1 - Math.exp(-(windowMs - rampMs) / decayMs);
  const rampMass = rampMs / 2;
  const decayMass = decayMs * tail;
  const u = random.next();
  if (u * (rampMass + decayMass) < rampMass) return rampMs * Math.sqrt(random.next());
  return rampMs - decayMs * Math.log(1 - random.next() * tail);
}

/** The curve's peak arrival rate (per second) for `buyers` buyers: where the ramp meets the decay. */
export function peakRate(buyers: number, curve: ArrivalCurve): number {
  const mass = curve.rampMs / 2 + curve.decayMs * (1 - Math.exp(-(curve.windowMs - curve.rampMs) / curve.decayMs));
  return (buyers / mass) * 1000;
}
