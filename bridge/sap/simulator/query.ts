import odata from 'odata-parser';
import { z } from 'zod';
import type { Row } from './odataJson';

/**
 * The system query options the services need, checked: `$filter` with eq/ne/gt/ge/lt/le joined by
 * `and` and `or` on properties the entity set allows (parsed by odata-parser, its tree checked here),
 * `$orderby`, `$top`, `$skip`, `$inlinecount`, `$expand`. Anything else is refused, not ignored.
 */

const COMPARISONS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
type Comparison = { type: (typeof COMPARISONS)[number]; left: { type: 'property'; name: string }; right: { type: 'literal'; value: string | boolean | number } };
type Filter = Comparison | { type: 'and'; left: Filter; right: Filter } | { type: 'or'; left: Filter; right: Filter };

const ComparisonSchema = z.object({
  type: z.enum(COMPARISONS),
  left: z.object({ type: z.literal('property'), name: z.string() }),
  right: z.object({ type: z.literal('literal'), value: z.union([z.string(), z.boolean(), z.number()]) }),
});
const FilterSchema: z.ZodType<Filter> = z.union([ComparisonSchema, z.object({ type: z.enum(['and', 'or']), left: z.lazy(() => FilterSchema), right: z.lazy(() => FilterSchema) })]);

const Count = (max: number) => z.coerce.number().pipe(z.int().min(0).max(max));
const OptionsSchema = z.object({
  $filter: z.string().optional(),
  $orderby: z.string().optional(),
  $top: Count(100_000).optional(),
  $skip: Count(Number.MAX_SAFE_INTEGER).optional(),
  $inlinecount: z.enum(['allpages', 'none']).optional(),
  $expand: z.string().optional(),
  $format: z.literal('json').optional(),
  /** Accepted and answered with every property, as a simplification. */
  $select: z.string().optional(),
});

export type ReadOptions = {
  matches: (row: Row) => boolean;
  order: Array<{ name: string; descending: boolean }>;
  top: number | undefined;
  skip: number;
  inlineCount: boolean;
  expand: string[];
};
export type Parsed = { ok: true; value: ReadOptions } | { ok: false; message: string };

/** `filterable`: the properties `$filter` and `$orderby` may name; `navigations`: what `$expand` may. */
export function readOptions(query: Record<string, string>, filterable: readonly string[], navigations: readonly string[]): Parsed {
  const system = Object.fromEntries(Object.entries(query).filter(([name]) => name.startsWith('$')));
  const parsed = OptionsSchema.strict().safeParse(system);
  if (!parsed.success) return { ok: false, message: `invalid system query options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}` };
  const options = parsed.data;

  let filter: Filter | undefined;
  if (options.$filter !== undefined) {
    const tree = odata.parse(`$filter=${options.$filter}`) as { $filter?: unknown; error?: string };
    const checked = FilterSchema.safeParse(tree.$filter);
    if (!checked.success) return { ok: false, message: `$filter: only comparisons (eq, ne, gt, ge, lt, le) of a property with a literal, joined by and or or, are supported` };
    const unknown = propertiesOf(checked.data).find((name) => !filterable.includes(name));
    if (unknown) return { ok: false, message: `$filter: property ${unknown} cannot be filtered here` };
    filter = checked.data;
  }

  const order = (options.$orderby ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = '', direction = 'asc'] = part.split(/\s+/);
      return { name, descending: direction === 'desc', valid: filterable.includes(name) && (direction === 'asc' || direction === 'desc') };
    });
  const badOrder = order.find((o) => !o.valid);
  if (badOrder) return { ok: false, message: `$orderby: ${badOrder.name} cannot order this entity set` };

  const expand = (options.$expand ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const badExpand = expand.find((name) => !navigations.includes(name));
  if (badExpand) return { ok: false, message: `$expand: no navigation property ${badExpand}` };

  return {
    ok: true,
    value: {
      matches: (row) => (filter ? evaluate(filter, row) : true),
      order: order.map(({ name, descending }) => ({ name, descending })),
      top: options.$top,
      skip: options.$skip ?? 0,
      inlineCount: options.$inlinecount === 'allpages',
      expand,
    },
  };
}

/** Filters, orders and pages rows; `count` is the number that matched, before paging. */
export function applyOptions(rows: Row[], options: ReadOptions): { rows: Row[]; count: number } {
  const matched = rows.filter(options.matches);
  if (options.order.length > 0) {
    matched.sort((a, b) => {
      for (const { name, descending } of options.order) {
        const order = compare(a[name], b[name]);
        if (order !== 0) return descending ? -order : order;
      }
      return 0;
    });
  }
  const end = options.top === undefined ? undefined : options.skip + options.top;
  return { rows: matched.slice(options.skip, end), count: matched.length };
}

function evaluate(filter: Filter, row: Row): boolean {
  if (filter.type === 'and') return evaluate(filter.left, row) && evaluate(filter.right, row);
  if (filter.type === 'or') return evaluate(filter.left, row) || evaluate(filter.right, row);
  const order = compare(row[filter.left.name], filter.right.value);
  switch (filter.type) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

/** Decimals arrive as strings and compare as numbers; other strings compare as text. */
type Value = string | boolean | number | null | undefined;

function compare(a: Value, b: Value): number {
  if (typeof b === 'number') return Number(a) - b;
  const [x, y] = [String(a ?? ''), String(b ?? '')];
  return x < y ? -1 : x > y ? 1 : 0;
}

function propertiesOf(filter: Filter): string[] {
  return filter.type === 'and' || filter.type === 'or' ? [...propertiesOf(filter.left), ...propertiesOf(filter.right)] : [filter.left.name];
}
