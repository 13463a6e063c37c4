import { badIdentifier, deepArrays, deepObjects, nastyValidIdentifier, Raw, type Entries } from './payloads';
import type { Random } from '../bench/lib/random';

/**
 * The edge's routes as the fuzz sees them: how to build a valid request, and for every body
 * field, values its schema surely refuses. "Surely" matters: on routes that can append events,
 * a refused field is what keeps the fuzz from changing stock (see `writes`).
 */

/** What generators need to know about the system under test. */
export type Target = {
  /** SKUs that exist: nothing may ever be appended to them. */
  existing: readonly string[];
  /** A SKU that matches the pattern but does not exist. */
  unknownSku(rnd: Random): string;
};

export type Field = {
  required: boolean;
  valid(rnd: Random, target: Target): unknown;
  /** A value the schema refuses, whatever the other fields are. */
  invalid(rnd: Random, target: Target): unknown;
};

export type QueryField = { valid(rnd: Random): string; invalid(rnd: Random): string };

export type Access = 'storefront' | 'admin' | 'signed' | 'public';

export type Route = {
  name: string;
  /** How often the fuzz aims at it: the routes that can write, and the internal ones, most. */
  weight: number;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `{sku}`, `{res}` and `{chk}` are filled by the generator. */
  pattern: string;
  /** Every method with a route at this path (HEAD follows GET): any other must find none. */
  methods: readonly string[];
  access: Access;
  fields?: Record<string, Field>;
  /** A valid body when its fields depend on each other (a discriminated union). */
  validBody?(rnd: Random, target: Target): Entries;
  query?: Record<string, QueryField>;
  idempotency?: 'required' | 'optional';
  /**
   * Whether a request that passes validation can append events: `always`, `sku` (only when it
   * names an existing SKU) or `never` (it needs a reservation or checkout id, and the fuzz never
   * learns one: ids carry 130 random bits). Such requests are always sent with a sure defect.
   */
  writes: 'always' | 'sku' | 'never';
};

const pickOr = <T>(rnd: Random, values: readonly T[], extra: () => T, pExtra: number): T => (rnd.chance(pExtra) ? extra() : rnd.pick(values));

const oneOf = <T>(values: readonly T[]) => (rnd: Random): T => rnd.pick(values);

const BAD_GENERATIONS = oneOf<unknown>(['g', 'G2', 'g1234567890', 'gen2', '', 2, null]);
const LEASES = oneOf<unknown>([9, 3_601, '120', 1.5, null, [], new Raw('1e400')]);
// Past 2^53 on purpose: a value JSON cannot carry exactly.
// eslint-disable-next-line no-loss-of-precision
const QTY_INVALID: readonly unknown[] = [0, -1, 1.5, 10_001, 1e9, 2 ** 31, 9_007_199_254_740_993, '1', '2', null, true, [], {}, [1], new Raw('-0'), new Raw('1e400'), new Raw('-1e400')];

const customerId: Field = {
  required: true,
  valid: (rnd) => (rnd.chance(0.2) ? nastyValidIdentifier(rnd) : `cust-${rnd.int(1, 40)}`),
  invalid: (rnd) => badIdentifier(rnd),
};
const qty: Field = { required: true, valid: (rnd) => rnd.int(1, 3), invalid: (rnd) => pickOr(rnd, QTY_INVALID, () => deepArrays(rnd.int(500, 5_000)), 0.05) };
const ttlSeconds: Field = {
  required: false,
  valid: (rnd) => rnd.int(30, 600),
  invalid: oneOf([0, -1, 3_601, 86_400, 1.5, '30', null, true, [], new Raw('1e400')]),
};
const expectedVersion: Field = {
  required: false,
  valid: (rnd) => rnd.int(0, 5),
  invalid: (rnd) => pickOr(rnd, [-1, -0.5, 1.5, '3', '', null, 1e20, 2 ** 64, true, [], {}, [0], new Raw('1e400'), new Raw('-1e400')], () => deepObjects(rnd.int(500, 3_000)), 0.05),
};

/** Cart lines: valid ones mostly name unknown SKUs, so a valid-looking cart reserves nothing. */
function validLines(rnd: Random, target: Target): unknown[] {
  return Array.from({ length: rnd.int(1, 4) }, () => ({
    sku: rnd.chance(0.3) ? rnd.pick(target.existing) : target.unknownSku(rnd),
    qty: rnd.int(1, 3),
  }));
}

/** Carts the schema refuses: empty, too long, merged over the limit, bad lines. */
function badLines(rnd: Random, target: Target): unknown {
  const sku = () => (rnd.chance(0.5) ? rnd.pick(target.existing) : target.unknownSku(rnd));
  const line = () => ({ sku: sku(), qty: rnd.int(1, 3) });
  const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));
  const withBadLine = (bad: unknown) => {
    const lines: unknown[] = many(rnd.int(0, 3), line);
    lines.splice(rnd.int(0, lines.length), 0, bad);
    return lines;
  };
  const dup = sku();
  return rnd.pick<() => unknown>([
    () => [],
    () => null,
    () => 'SKU-1',
    () => ({ sku: sku(), qty: 1 }),
    () => many(rnd.int(51, 70), (i) => ({ sku: `NOPE-${i}`, qty: 1 })),
    () => many(51, () => line()),
    () => many(rnd.int(51, 60), () => ({ sku: dup, qty: 1 })),
    // Lines of one SKU are merged before the quantity limit is checked.
    () => [{ sku: dup, qty: 6_000 }, { sku: dup, qty: 6_000 }],
    () => many(rnd.int(2, 5), () => ({ sku: dup, qty: 9_999 })),
    () => [{ sku: dup, qty: 1 }, { sku: dup, qty: rnd.pick(QTY_INVALID) }],
    () => withBadLine({ sku: sku(), qty: rnd.pick(QTY_INVALID) }),
    () => withBadLine({ sku: sku() }),
    () => withBadLine({ qty: 1 }),
    () => withBadLine({ sku: sku(), qty: 1, price: 0 }),
    () => withBadLine({ sku: rnd.pick(BAD_SKUS), qty: 1 }),
    () => withBadLine({ sku: rnd.pick([1, null, true, [], {}]), qty: 1 }),
    () => withBadLine(rnd.pick(['A', 1, null, true, [], [sku(), 1]])),
    () => withBadLine(deepArrays(rnd.int(1_000, 5_000))),
  ])();
}

/** SKUs the pattern refuses, none of which can change how a path is routed (no `/`, `.`-segments, `?`, `#`). */
export const BAD_SKUS: readonly string[] = [
  '-lead',
  '_lead',
  '.hidden',
  'A'.repeat(65),
  'A'.repeat(300),
  'A!B',
  'a*b',
  'a~b',
  'a(b)',
  "a'b",
  'a,b',
  'a;b',
  'a:b',
  'a@b',
  'a=b',
  'a+b',
  'a$b',
  'a"b',
  'a<b>',
  'a|b',
  'a{b}',
  'a^b',
  'a`b',
  'a[b]',
];

function validView(rnd: Random, target: Target): Record<string, unknown> {
  return {
    sku: rnd.chance(0.5) ? rnd.pick(target.existing) : target.unknownSku(rnd),
    onHand: 10,
    reserved: 0,
    sold: 0,
    available: 10,
    limitPerCustomer: null,
    version: rnd.int(1, 5),
    asOf: null,
  };
}

const afterQuery: QueryField = {
  // Now and then valid but extreme: the largest safe integer, exponent and hex spellings.
  valid: (rnd) => (rnd.chance(0.1) ? rnd.pick(['9007199254740991', '1e3', '0x10', '']) : String(rnd.int(0, 5))),
  invalid: oneOf(['NaN', '-1', '1.5', 'abc', 'Infinity', '-Infinity', '1e400', '%00', '%ZZ', '0x', '--1', '1_000', 'true', '[]', '9'.repeat(400)]),
};
const limitQuery: QueryField = {
  valid: (rnd) => String(rnd.int(1, 1_000)),
  invalid: oneOf(['-1', '0', '1001', '1e9', 'NaN', '1.5', 'all', '%20', '%ZZ', 'Infinity', '99999999999999999999']),
};
const customerQuery: QueryField = {
  valid: (rnd) => encodeURIComponent(rnd.chance(0.2) ? nastyValidIdentifier(rnd) : `cust-${rnd.int(1, 40)}`),
  invalid: oneOf(['', '%20', 'a%20b', '%00', 'a%0Ab', '%C3%A9', '%ED%A0%80', '%ZZ', '%', 'x'.repeat(129), 'x'.repeat(4_000), '%7F']),
};
const consistentQuery: QueryField = { valid: oneOf(['true', 'false']), invalid: oneOf(['maybe', 'TRUE', '1', '0', 'yes', '', '%00', 'true%00', 'tru']) };

export const ROUTES: readonly Route[] = [
  { name: 'GET /v1/skus/{sku}', weight: 5, method: 'GET', pattern: '/v1/skus/{sku}', methods: ['GET'], access: 'storefront', query: { consistent: consistentQuery }, writes: 'never' },
  {
    name: 'POST /v1/skus/{sku}/reservations',
    weight: 14,
    method: 'POST',
    pattern: '/v1/skus/{sku}/reservations',
    methods: ['POST'],
    access: 'storefront',
    fields: { customerId, qty, ttlSeconds },
    idempotency: 'required',
    writes: 'sku',
  },
  {
    name: 'GET /v1/skus/{sku}/reservations/{id}',
    weight: 3,
    method: 'GET',
    pattern: '/v1/skus/{sku}/reservations/{res}',
    methods: ['GET', 'DELETE'],
    access: 'storefront',
    query: { customerId: customerQuery },
    writes: 'never',
  },
  {
    name: 'POST /v1/skus/{sku}/reservations/{id}/complete',
    weight: 4,
    method: 'POST',
    pattern: '/v1/skus/{sku}/reservations/{res}/complete',
    methods: ['POST'],
    access: 'storefront',
    fields: { customerId },
    writes: 'never',
  },
  {
    name: 'DELETE /v1/skus/{sku}/reservations/{id}',
    weight: 3,
    method: 'DELETE',
    pattern: '/v1/skus/{sku}/reservations/{res}',
    methods: ['GET', 'DELETE'],
    access: 'storefront',
    query: { customerId: customerQuery },
    writes: 'never',
  },
  {
    name: 'POST /v1/checkouts',
    weight: 12,
    method: 'POST',
    pattern: '/v1/checkouts',
    methods: ['POST'],
    access: 'storefront',
    fields: { customerId, lines: { required: true, valid: validLines, invalid: badLines }, ttlSeconds },
    idempotency: 'required',
    writes: 'sku',
  },
  { name: 'GET /v1/checkouts/{id}', weight: 3, method: 'GET', pattern: '/v1/checkouts/{chk}', methods: ['GET', 'DELETE'], access: 'storefront', query: { customerId: customerQuery }, writes: 'never' },
  {
    name: 'POST /v1/checkouts/{id}/complete',
    weight: 3,
    method: 'POST',
    pattern: '/v1/checkouts/{chk}/complete',
    methods: ['POST'],
    access: 'storefront',
    fields: { customerId },
    writes: 'never',
  },
  { name: 'DELETE /v1/checkouts/{id}', weight: 3, method: 'DELETE', pattern: '/v1/checkouts/{chk}', methods: ['GET', 'DELETE'], access: 'storefront', query: { customerId: customerQuery }, writes: 'never' },
  {
    name: 'PUT /v1/admin/skus/{sku}/stock',
    weight: 7,
    method: 'PUT',
    pattern: '/v1/admin/skus/{sku}/stock',
    methods: ['PUT'],
    access: 'admin',
    fields: {
      onHand: { required: true, valid: (rnd) => rnd.int(0, 1_000), invalid: oneOf([-1, 1.5, 1_000_000_001, 2 ** 53, '10', '', null, true, [], {}, new Raw('1e400'), new Raw('-1e400')]) },
      limitPerCustomer: {
        required: false,
        valid: (rnd) => (rnd.chance(0.2) ? null : rnd.int(1, 10)),
        invalid: oneOf([0, -1, 10_001, 1.5, '2', true, [], {}, new Raw('-0')]),
      },
      expectedVersion,
    },
    writes: 'always',
  },
  {
    name: 'POST /v1/admin/skus/{sku}/receipts',
    weight: 6,
    method: 'POST',
    pattern: '/v1/admin/skus/{sku}/receipts',
    methods: ['POST'],
    access: 'admin',
    fields: { qty, expectedVersion },
    idempotency: 'optional',
    writes: 'always',
  },
  {
    name: 'POST /v1/admin/skus/{sku}/reservations/{id}/release',
    weight: 4,
    method: 'POST',
    pattern: '/v1/admin/skus/{sku}/reservations/{res}/release',
    methods: ['POST'],
    access: 'admin',
    fields: { expectedVersion },
    writes: 'never',
  },
  {
    name: 'GET /v1/admin/skus/{sku}/events',
    weight: 5,
    method: 'GET',
    pattern: '/v1/admin/skus/{sku}/events',
    methods: ['GET'],
    access: 'admin',
    query: { after: afterQuery, limit: limitQuery },
    writes: 'never',
  },
  { name: 'GET /v1/admin/skus/{sku}/relay', weight: 2, method: 'GET', pattern: '/v1/admin/skus/{sku}/relay', methods: ['GET'], access: 'admin', writes: 'never' },
  {
    name: 'GET /internal/skus/{sku}/events',
    weight: 7,
    method: 'GET',
    pattern: '/internal/skus/{sku}/events',
    methods: ['GET'],
    access: 'signed',
    query: { after: afterQuery, limit: limitQuery },
    writes: 'never',
  },
  {
    name: 'POST /internal/skus/{sku}/reservations/{id}/allocation',
    weight: 6,
    method: 'POST',
    pattern: '/internal/skus/{sku}/reservations/{res}/allocation',
    methods: ['POST'],
    access: 'signed',
    validBody: (rnd) =>
      rnd.chance(0.5)
        ? [['outcome', 'confirmed'], ['allocationId', `alloc-${rnd.hex(8)}`]]
        : [['outcome', 'failed'], ['reason', rnd.pick(['wms_timeout', 'wms_rejected'])]],
    fields: {
      outcome: { required: true, valid: oneOf(['confirmed', 'failed']), invalid: oneOf(['CONFIRMED', 'ok', '', null, 1, [], {}]) },
      allocationId: { required: false, valid: (rnd) => `alloc-${rnd.hex(8)}`, invalid: oneOf(['', 'x'.repeat(129), 5, null, []]) },
      reason: { required: false, valid: oneOf(['wms_timeout', 'wms_rejected']), invalid: oneOf(['nope', 'WMS_TIMEOUT', null, 1]) },
      causedBy: {
        required: false,
        valid: (rnd) => ({ [`sku:${rnd.hex(4)}`]: rnd.int(1, 9) }),
        invalid: (rnd) => pickOr<unknown>(rnd, [[], 'x', 5, null, { 'sku:A': -1 }, { 'sku:A': 1.5 }, { 'sku:A': '2' }], () => deepObjects(rnd.int(500, 3_000)), 0.2),
      },
    },
    writes: 'never',
  },
  { name: 'GET /internal/projections', weight: 2, method: 'GET', pattern: '/internal/projections', methods: ['GET'], access: 'signed', writes: 'never' },
  {
    name: 'POST /internal/projections/shadow',
    weight: 2,
    method: 'POST',
    pattern: '/internal/projections/shadow',
    methods: ['POST'],
    access: 'signed',
    fields: {
      rebuild: { required: true, valid: (rnd) => `fuzz-${rnd.hex(8)}`, invalid: oneOf(['', 'a b', 'x'.repeat(65), 5, null, []]) },
      leaseSeconds: { required: false, valid: (rnd) => rnd.int(10, 3_600), invalid: LEASES },
    },
    writes: 'always',
  },
  {
    name: 'POST /internal/projections/shadow/renew',
    weight: 1,
    method: 'POST',
    pattern: '/internal/projections/shadow/renew',
    methods: ['POST'],
    access: 'signed',
    fields: {
      generation: { required: true, valid: (rnd) => `g${rnd.int(2, 9)}`, invalid: BAD_GENERATIONS },
      leaseSeconds: { required: false, valid: (rnd) => rnd.int(10, 3_600), invalid: LEASES },
    },
    writes: 'never',
  },
  {
    name: 'POST /internal/projections/shadow/abandon',
    weight: 1,
    method: 'POST',
    pattern: '/internal/projections/shadow/abandon',
    methods: ['POST'],
    access: 'signed',
    fields: { generation: { required: true, valid: (rnd) => `g${rnd.int(2, 9)}`, invalid: BAD_GENERATIONS } },
    writes: 'always',
  },
  {
    name: 'POST /internal/projections/switch',
    weight: 3,
    method: 'POST',
    pattern: '/internal/projections/switch',
    methods: ['POST'],
    access: 'signed',
    fields: { graceSeconds: { required: false, valid: (rnd) => rnd.int(0, 120), invalid: oneOf([-1, 86_401, '60', 1.5, null, [], new Raw('1e400')]) } },
    writes: 'always',
  },
  {
    name: 'POST /internal/projections/views',
    weight: 3,
    method: 'POST',
    pattern: '/internal/projections/views',
    methods: ['POST'],
    access: 'signed',
    fields: {
      generation: { required: true, valid: (rnd) => `g${rnd.int(2, 9)}`, invalid: BAD_GENERATIONS },
      views: {
        required: true,
        valid: (rnd, target) => Array.from({ length: rnd.int(1, 3) }, () => validView(rnd, target)),
        invalid: (rnd, target) =>
          rnd.pick<() => unknown>([
            () => [],
            () => 'x',
            () => null,
            // Not a negative count: the counters schema bounds none of them (a signed caller is trusted).
            () => [{ ...validView(rnd, target), version: 1.5 }],
            () => [{ ...validView(rnd, target), onHand: '10' }],
            () => [{ ...validView(rnd, target), sku: rnd.pick(BAD_SKUS) }],
            // Not an unknown key in a view: the batch is strict, its views are not.
            () => [{ ...validView(rnd, target), available: null }],
            () => [{ sku: rnd.pick(target.existing) }],
            () => Array.from({ length: 501 }, () => ({ sku: 'A' })),
          ])(),
      },
    },
    writes: 'always',
  },
  { name: 'GET /healthz', weight: 1, method: 'GET', pattern: '/healthz', methods: ['GET'], access: 'public', writes: 'never' },
  { name: 'GET /openapi.json', weight: 1, method: 'GET', pattern: '/openapi.json', methods: ['GET'], access: 'public', writes: 'never' },
];
