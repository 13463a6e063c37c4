import { describe, expect, it } from 'vitest';
import {
  AdminReleaseBodySchema,
  AllocationOutcomeSchema,
  CheckoutBodySchema,
  CustomerBodySchema,
  ProjectionBatchSchema,
  ReceiptBodySchema,
  ReserveBodySchema,
  AbandonShadowBodySchema,
  RenewShadowBodySchema,
  SetStockBodySchema,
  ShadowBodySchema,
  SwitchBodySchema,
} from '../../../src/contract/schemas';
import { encodeJson, Obj, type Entries } from '../../../torture/payloads';
import { Random } from '../../../bench/lib/random';
import { ROUTES, type Route, type Target } from '../../../torture/routes';

/**
 * The fuzz keeps its hands off stock by sending, on every route that could write, a field its
 * schema refuses. This checks that belief offline against the product's own zod schemas: every
 * `valid` body parses, every `invalid` field value and every missing required field is refused.
 */

type Schema = { safeParse(input: unknown): { success: boolean } };

const SCHEMAS: Record<string, Schema> = {
  'POST /v1/skus/{sku}/reservations': ReserveBodySchema,
  'POST /v1/skus/{sku}/reservations/{id}/complete': CustomerBodySchema,
  'POST /v1/checkouts': CheckoutBodySchema,
  'POST /v1/checkouts/{id}/complete': CustomerBodySchema,
  'PUT /v1/admin/skus/{sku}/stock': SetStockBodySchema,
  'POST /v1/admin/skus/{sku}/receipts': ReceiptBodySchema,
  'POST /v1/admin/skus/{sku}/reservations/{id}/release': AdminReleaseBodySchema,
  'POST /internal/skus/{sku}/reservations/{id}/allocation': AllocationOutcomeSchema,
  'POST /internal/projections/shadow': ShadowBodySchema,
  'POST /internal/projections/shadow/renew': RenewShadowBodySchema,
  'POST /internal/projections/shadow/abandon': AbandonShadowBodySchema,
  'POST /internal/projections/switch': SwitchBodySchema,
  'POST /internal/projections/views': ProjectionBatchSchema,
};

const ROUNDS = 500;
const rnd = new Random(20_261_125);
const target: Target = { existing: ['FUZZ-A', 'Z'], unknownSku: (r) => `NOPE-${r.hex(8)}` };

/** As the Worker would see the body: decoded as UTF-8 (invalid bytes replaced), then JSON.parse. */
function parsed(entries: Entries): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(encodeJson(new Obj(entries)))) };
  } catch {
    return { ok: false };
  }
}

function validEntries(route: Route): Entries {
  if (route.validBody) return route.validBody(rnd, target);
  return Object.entries(route.fields!)
    .filter(([, f]) => f.required || rnd.chance(0.4))
    .map(([name, f]) => [name, f.valid(rnd, target)]);
}

/** Problems found with one body: `expectValid` says whether the schema should take it. */
function check(schema: Schema, entries: Entries, expectValid: boolean, what: string): string[] {
  const body = parsed(entries);
  // Not JSON at all is refused before any schema: as good as invalid.
  const accepted = body.ok && schema.safeParse(body.value).success;
  if (accepted === expectValid) return [];
  return [`${what}: ${expectValid ? 'refused' : 'accepted'} ${body.ok ? JSON.stringify(body.value).slice(0, 300) : '(not JSON)'}`];
}

function checkRoute(route: Route, schema: Schema): string[] {
  const problems: string[] = [];
  for (let i = 0; i < ROUNDS && problems.length < 10; i++) {
    const valid = validEntries(route);
    problems.push(...check(schema, valid, true, `${route.name} valid body`));
    for (const [name, field] of Object.entries(route.fields!)) {
      const others = valid.filter(([n]) => n !== name);
      problems.push(...check(schema, [...others, [name, field.invalid(rnd, target)]], false, `${route.name} invalid ${name}`));
      if (field.required) problems.push(...check(schema, others, false, `${route.name} without ${name}`));
    }
  }
  return problems;
}

describe('the torture fuzz against the product schemas', () => {
  for (const route of ROUTES.filter((r) => r.fields)) {
    it(`${route.name}: its valid bodies parse; each invalid field and each missing required field is refused`, () => {
      const schema = SCHEMAS[route.name];
      expect(schema, 'a schema to check against').toBeDefined();
      expect(checkRoute(route, schema!)).toEqual([]);
    });
  }
});
