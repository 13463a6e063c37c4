import { InvalidArgumentError } from 'commander';
import { WarehouseIdSchema } from '../../src/domain/sku/events';
import { SKU_PATTERN } from '../../src/domain/sku/limits';
import { LocationIdSchema } from '../../src/domain/sku/locations';

/**
 * Parsers for commander arguments and options: a bad value is a usage error (exit 2) before
 * anything is called, rather than a 400 from a component after.
 */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a probability from 0 to 1');
  return n;
}

/** `20-80` (uniform between) or `50` (fixed). */
export function millisRange(value: string): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  const min = Number(match?.[1]);
  const max = Number(match?.[2] ?? match?.[1]);
  if (!match || min > max) throw new InvalidArgumentError('expected MIN-MAX or N milliseconds, e.g. 20-80');
  return { min, max };
}

export function url(value: string): string {
  if (!URL.canParse(value)) throw new InvalidArgumentError('expected an absolute URL, e.g. http://127.0.0.1:8787');
  return value;
}

export function sku(value: string): string {
  if (!SKU_PATTERN.test(value)) throw new InvalidArgumentError(`expected a SKU matching ${SKU_PATTERN.source}`);
  return value;
}

/** A warehouse system's id (`soap-1`), as the bridge's configuration names it. */
export function warehouseId(value: string): string {
  if (!WarehouseIdSchema.safeParse(value).success) throw new InvalidArgumentError('expected a warehouse id, e.g. soap-1');
  return value;
}

/** A location id (`FRA-1`), as the edge and the warehouses name a site. */
export function location(value: string): string {
  if (!LocationIdSchema.safeParse(value).success) throw new InvalidArgumentError('expected a location id, e.g. FRA-1');
  return value;
}

/** For repeatable options (`--sku A --sku B`, or `--sku A B` for variadic ones). */
export const collect =
  <T>(parse: (value: string) => T) =>
  (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
