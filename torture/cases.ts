import type { RawRequest } from './http';
import { utf8Bytes } from './http';
import { badIdentifier, Bytes, deepArrays, deepObjects, encodeJson, INVALID_JSON, INVALID_UTF8, NOT_OBJECTS, Obj, type Entries } from './payloads';
import { Random } from '../bench/lib/random';
import { BAD_SKUS, ROUTES, type Route, type Target } from './routes';
import { randomSignPlan, type SignPlan } from './signPlans';

/**
 * Turns a seed into a stream of hostile requests. Each case starts as a valid request to one
 * route and gets one or more defects. Each defect claims a strength for the part of the request
 * it changed (its slot), which is what keeps the fuzz from ever changing stock:
 * - `universal`: refused on every route, wherever a bent path may lead (no key, not JSON, too big);
 * - `route`: refused by this route before any Durable Object is called (a field out of range);
 * - `none`: harmless noise that may leave the request valid (extra headers, chunked body).
 * A later defect on the same slot replaces the claim (a field made bad, then good again), and a
 * claim only counts if it still holds for the final request (a bad Content-Type means nothing once
 * the method is DELETE). A case that could append events if it were valid gets defects until it
 * is surely refused.
 */

export type FuzzCase = {
  route: string;
  /** `group:variant` labels, for the report. */
  defects: string[];
  request: RawRequest;
  /** Internal routes: headers are signed just before sending (timestamps are wall clock). */
  sign: SignPlan | null;
  /** 2 for a replayed signature: the same bytes sent twice in a row. */
  times: number;
};

export type Keys = { admin: string; storefront: string };

const NONE = 0;
const ROUTE = 1;
const UNIVERSAL = 2;
type Strength = typeof NONE | typeof ROUTE | typeof UNIVERSAL;

type Body = { entries: Entries } | { raw: Buffer } | null;

type Draft = {
  route: Route;
  method: string;
  params: { sku: string; res: string; chk: string };
  /** The path was bent (dot segments, encoded slashes, …): it may reach another route entirely. */
  bent: boolean;
  /** Replaces the path built from the pattern (a bent path). */
  path: string | null;
  query: string[];
  headers: Record<string, string | string[]>;
  body: Body;
  chunked: boolean;
  sign: SignPlan | null;
  /** Strength claimed per slot (`auth`, `content-type`, `field:qty`, `body`, `method`, …). */
  claims: Map<string, Strength>;
  defects: string[];
};

type Gen = { rnd: Random; target: Target; keys: Keys };

type Defect = {
  group: string;
  weight: number;
  applies(d: Draft): boolean;
  apply(d: Draft, g: Gen): void;
};

const MUTATING = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
const ON_V1 = (d: Draft) => d.route.access === 'storefront' || d.route.access === 'admin';
const HAS_BODY = (d: Draft) => d.route.fields !== undefined || (d.route.method !== 'GET' && d.route.method !== 'DELETE');
const ENTRIES = (d: Draft): Entries | null => (d.body && 'entries' in d.body ? d.body.entries : null);

function mark(d: Draft, group: string, variant: string, strength: Strength, slot = group): void {
  d.defects.push(`${group}:${variant}`);
  d.claims.set(slot, strength);
}

/** The body was replaced: what field defects claimed about the old one no longer holds. */
function dropBodyClaims(d: Draft): void {
  for (const slot of [...d.claims.keys()]) if (/^(field|unknown|proto)/.test(slot)) d.claims.delete(slot);
}

const BODY_METHODS = ['POST', 'PUT', 'PATCH'];

/** Whether a claim still holds for the request as it will be sent. */
function holds(slot: string, strength: Strength, d: Draft): boolean {
  // Guards of one route, on its own path and method: a bent path or another method may meet none of them.
  const canonical = !d.bent && d.method === d.route.method;
  const kind = slot.split(':')[0];
  if (kind === 'signature') return d.route.access === 'signed';
  if (kind === 'method') return !d.bent;
  if (kind === 'auth') return (ON_V1(d) || d.route.access === 'public') && (strength === UNIVERSAL || canonical);
  // The Content-Type guard looks at POST, PUT and PATCH only.
  if (kind === 'content-type') return ON_V1(d) && BODY_METHODS.includes(d.method);
  if (kind === 'body' || kind === 'field' || kind === 'unknown') {
    // Every /v1 route taking POST or PUT validates a JSON object body; internal ones may take none.
    if (strength === UNIVERSAL && ON_V1(d) && BODY_METHODS.includes(d.method)) return true;
    return canonical && d.route.fields !== undefined;
  }
  return canonical;
}

function refusal(d: Draft): Strength {
  let best: Strength = NONE;
  for (const [slot, strength] of d.claims) if (strength > best && holds(slot, strength, d)) best = strength;
  return best;
}

/** Picks a [variant, value, strength] row. */
const row = <T>(g: Gen, rows: ReadonlyArray<readonly [string, T, Strength]>) => g.rnd.pick(rows);

// ---------------------------------------------------------------------------------------------
// Headers

const auth: Defect = {
  group: 'auth',
  weight: 8,
  applies: ON_V1,
  apply(d, g) {
    const key = d.route.access === 'admin' ? g.keys.admin : g.keys.storefront;
    const [variant, value, strength] = row<string | string[] | null>(g, [
      ['missing', null, UNIVERSAL],
      ['empty', '', UNIVERSAL],
      ['scheme-only', 'Bearer', UNIVERSAL],
      ['unknown-key', `Bearer not-a-key-${g.rnd.hex(8)}`, UNIVERSAL],
      ['lowercase-scheme', `bearer ${key}`, UNIVERSAL],
      ['basic', `Basic ${Buffer.from(`admin:${key}`).toString('base64')}`, UNIVERSAL],
      ['no-scheme', key, UNIVERSAL],
      ['double-space', `Bearer  ${key}`, UNIVERSAL],
      ['tab', `Bearer\t${key}`, UNIVERSAL],
      ['trailing-word', `Bearer ${key} extra`, UNIVERSAL],
      ['oversized', `Bearer ${'k'.repeat(g.rnd.int(513, 4_000))}`, UNIVERSAL],
      ['latin1', `Bearer ${key}\u00e9`, UNIVERSAL],
      ['utf8', `Bearer ${utf8Bytes(`${key}ключ`)}`, UNIVERSAL],
      ['prefix-of-key', `Bearer ${key.slice(0, -1)}`, UNIVERSAL],
      // Combined by the runtime into one value, or not: either way it must not be a 5xx.
      ['duplicated', [`Bearer ${key}`, `Bearer ${key}`], NONE],
      ['two-keys', [`Bearer ${g.keys.storefront}`, `Bearer ${g.keys.admin}`], NONE],
    ]);
    if (value === null) delete d.headers.authorization;
    else d.headers.authorization = value;
    mark(d, 'auth', variant, strength);
  },
};

const role: Defect = {
  group: 'role',
  weight: 3,
  applies: (d) => d.route.access === 'admin',
  apply(d, g) {
    d.headers.authorization = `Bearer ${g.keys.storefront}`;
    // Refused by the admin guard of this path; a bent path could lead to a storefront route.
    mark(d, 'role', 'storefront-on-admin', ROUTE, 'auth');
  },
};

const contentType: Defect = {
  group: 'content-type',
  weight: 6,
  applies: (d) => ON_V1(d) && MUTATING(d.method) && d.method !== 'DELETE',
  apply(d, g) {
    const [variant, value, strength] = row<string | string[] | null>(g, [
      ['missing', null, UNIVERSAL],
      ['text-plain', 'text/plain', UNIVERSAL],
      ['form', 'application/x-www-form-urlencoded', UNIVERSAL],
      ['multipart', 'multipart/form-data; boundary=xyz', UNIVERSAL],
      ['xml', 'application/xml', UNIVERSAL],
      ['text-json', 'text/json', UNIVERSAL],
      ['jsonp', 'application/jsonp', UNIVERSAL],
      ['json-seq', 'application/json-seq', UNIVERSAL],
      ['json-patch', 'application/json-patch+json', UNIVERSAL],
      ['ld-json', 'application/ld+json', UNIVERSAL],
      ['bare-json', 'json', UNIVERSAL],
      ['wildcard', '*/*', UNIVERSAL],
      ['list', 'application/json,text/plain', UNIVERSAL],
      ['latin1', 'application/js\u00f6n', UNIVERSAL],
      ['empty', '', UNIVERSAL],
      ['uppercase', 'APPLICATION/JSON', NONE],
      ['charset-utf16', 'application/json; charset=utf-16', NONE],
      ['charset-junk', `application/json; charset=${'x'.repeat(g.rnd.int(1, 2_000))}`, NONE],
      ['semicolons', 'application/json;;;', NONE],
      ['duplicated', ['application/json', 'application/json'], NONE],
    ]);
    if (value === null) delete d.headers['content-type'];
    else d.headers['content-type'] = value;
    mark(d, 'content-type', variant, strength);
  },
};

const idempotencyKey: Defect = {
  group: 'idempotency-key',
  weight: 6,
  applies: (d) => d.route.idempotency !== undefined,
  apply(d, g) {
    const required = d.route.idempotency === 'required';
    // A runtime may drop an empty header or trim whitespace: only a required key is then surely missing.
    const blank = required ? ROUTE : NONE;
    const [variant, value, strength] = row<string | string[] | null>(g, [
      ['missing', null, blank],
      ['empty', '', blank],
      ['spaces', '   ', blank],
      ['too-long', 'k'.repeat(256), ROUTE],
      ['huge', 'k'.repeat(g.rnd.int(1_000, 6_000)), ROUTE],
      ['latin1', `cl\u00e9-${g.rnd.hex(6)}`, ROUTE],
      ['utf8', utf8Bytes(`ключ-${g.rnd.hex(6)}`), ROUTE],
      ['emoji', utf8Bytes('🔑'), ROUTE],
      ['tab', `a\tb-${g.rnd.hex(6)}`, ROUTE],
      ['high-byte', `a\u0080b-${g.rnd.hex(6)}`, ROUTE],
      ['padded', `  key-${g.rnd.hex(6)}  `, NONE],
      ['duplicated', [`k-${g.rnd.hex(6)}`, `k-${g.rnd.hex(6)}`], NONE],
    ]);
    if (value === null) delete d.headers['idempotency-key'];
    else d.headers['idempotency-key'] = value;
    mark(d, 'idempotency-key', variant, strength);
  },
};

const headerNoise: Defect = {
  group: 'headers',
  weight: 3,
  applies: () => true,
  apply(d, g) {
    const variant = g.rnd.pick(['many', 'forwarded', 'cookie', 'content-encoding', 'host', 'method-override', 'user-agent', 'range'] as const);
    const h = d.headers;
    if (variant === 'many') for (let i = 0; i < g.rnd.int(20, 100); i++) h[`x-fuzz-${i}`] = g.rnd.hex(g.rnd.int(1, 40));
    if (variant === 'forwarded') Object.assign(h, { 'x-forwarded-for': '999.1.1.1, ::1, garbage', 'cf-connecting-ip': 'not-an-ip', forwarded: 'for=";' });
    if (variant === 'cookie') h.cookie = `${'a=b; '.repeat(g.rnd.int(1, 500))}__proto__=1`;
    if (variant === 'content-encoding') h['content-encoding'] = g.rnd.pick(['gzip', 'br', 'deflate', 'identity, gzip']);
    // Not a Host the URL parser refuses (`[::1]:99999`): Miniflare's own entry worker throws on
    // it with a 500 before the Worker runs, and Cloudflare's edge never forwards such a request.
    if (variant === 'host') h.host = g.rnd.pick(['evil.example', 'localhost:1', 'EVIL.example.', '127.0.0.1:0', 'a'.repeat(300)]);
    if (variant === 'method-override') h['x-http-method-override'] = g.rnd.pick(['PUT', 'DELETE', 'PATCH']);
    if (variant === 'user-agent') h['user-agent'] = utf8Bytes(`fuzz/${'ü'.repeat(g.rnd.int(1, 2_000))}`);
    if (variant === 'range') h.range = 'bytes=0-1,5-';
    mark(d, 'headers', variant, NONE);
  },
};

// ---------------------------------------------------------------------------------------------
// Bodies

const fieldNames = (d: Draft) => Object.keys(d.route.fields ?? {});

const fieldInvalid: Defect = {
  group: 'field-invalid',
  weight: 12,
  applies: (d) => ENTRIES(d) !== null && fieldNames(d).length > 0,
  apply(d, g) {
    const name = g.rnd.pick(fieldNames(d));
    setEntry(ENTRIES(d)!, name, d.route.fields![name]!.invalid(g.rnd, g.target));
    mark(d, 'field-invalid', name, ROUTE, `field:${name}`);
  },
};

const fieldMissing: Defect = {
  group: 'field-missing',
  weight: 4,
  applies: (d) => ENTRIES(d) !== null && Object.values(d.route.fields ?? {}).some((f) => f.required),
  apply(d, g) {
    const name = g.rnd.pick(Object.entries(d.route.fields!).filter(([, f]) => f.required).map(([n]) => n));
    removeEntry(ENTRIES(d)!, name);
    mark(d, 'field-missing', name, ROUTE, `field:${name}`);
  },
};

const UNKNOWN_FIELDS = ['extra', 'customerID', 'Qty', 'isAdmin', 'role', 'sku', 'version', 'reservationId', 'onHand', 'qty ', '', 'constructor', 'toString', 'x'.repeat(300)];

const fieldUnknown: Defect = {
  group: 'field-unknown',
  weight: 5,
  applies: (d) => ENTRIES(d) !== null,
  apply(d, g) {
    const known = new Set(fieldNames(d));
    const name = g.rnd.pick(UNKNOWN_FIELDS.filter((n) => !known.has(n)));
    const value = g.rnd.pick<unknown>([1, 'x', null, true, { nested: { deep: 1 } }, [1, 2], badIdentifier(g.rnd), new Bytes(g.rnd.pick(INVALID_UTF8))]);
    ENTRIES(d)!.push([name, value]);
    // Every body schema is strict: an unknown key is refused.
    mark(d, 'field-unknown', name.length > 20 ? 'long-name' : name || 'empty-name', ROUTE, `unknown:${name}`);
  },
};

const protoKey: Defect = {
  group: 'proto-key',
  weight: 2,
  applies: (d) => ENTRIES(d) !== null,
  apply(d, g) {
    const name = g.rnd.pick(['__proto__', 'prototype']);
    ENTRIES(d)!.push([name, g.rnd.pick<unknown>([{ isAdmin: true }, { qty: 0 }, null, 1])]);
    // JSON.parse makes `__proto__` an own key; whether a schema sees it is the library's business.
    mark(d, 'proto-key', name, NONE, 'proto');
  },
};

const duplicateKey: Defect = {
  group: 'duplicate-key',
  weight: 3,
  applies: (d) => ENTRIES(d) !== null && fieldNames(d).length > 0,
  apply(d, g) {
    const name = g.rnd.pick(fieldNames(d));
    const field = d.route.fields![name]!;
    const bad = field.invalid(g.rnd, g.target);
    const good = field.valid(g.rnd, g.target);
    // JSON.parse keeps the last occurrence: only a bad last value surely fails.
    const badLast = g.rnd.chance();
    removeEntry(ENTRIES(d)!, name);
    ENTRIES(d)!.push([name, badLast ? good : bad], [name, badLast ? bad : good]);
    mark(d, 'duplicate-key', badLast ? 'bad-last' : 'good-last', badLast ? ROUTE : NONE, `field:${name}`);
  },
};

const fieldDeep: Defect = {
  group: 'deep-json',
  weight: 3,
  applies: (d) => ENTRIES(d) !== null && fieldNames(d).length > 0,
  apply(d, g) {
    const name = g.rnd.pick(fieldNames(d));
    const depth = g.rnd.int(1_000, 2_500);
    setEntry(ENTRIES(d)!, name, g.rnd.chance() ? deepArrays(depth * 2) : deepObjects(depth));
    mark(d, 'deep-json', 'in-field', ROUTE, `field:${name}`);
  },
};

const bodyRaw: Defect = {
  group: 'body',
  weight: 9,
  applies: HAS_BODY,
  apply(d, g) {
    const [variant, text, strength] = row<string | Buffer | null>(g, [
      ['invalid-json', g.rnd.pick(INVALID_JSON), UNIVERSAL],
      ['not-object', g.rnd.pick(NOT_OBJECTS), UNIVERSAL],
      ['missing', null, UNIVERSAL],
      ['deep-arrays', deepArrays(g.rnd.int(1_000, 8_000)).text, UNIVERSAL],
      ['deep-objects', deepObjects(g.rnd.int(1_000, 2_700)).text, ROUTE],
      ['deep-unclosed', '['.repeat(g.rnd.int(1_000, 16_000)), UNIVERSAL],
      ['invalid-utf8', Buffer.concat([Buffer.from('{"customerId":"'), g.rnd.pick(INVALID_UTF8), Buffer.from('","qty":1}')]), ROUTE],
      ['bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bodyBytes(d)]), NONE],
      ['utf16', Buffer.from(bodyBytes(d).toString('utf8'), 'utf16le'), UNIVERSAL],
      ['random-bytes', randomBytes(g.rnd, g.rnd.int(1, 2_000)), UNIVERSAL],
    ]);
    d.body = text === null ? null : { raw: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8') };
    // A BOM keeps the body (and what its fields were made to be); the others replace it.
    if (variant === 'bom') mark(d, 'body', variant, NONE, 'bom');
    else {
      dropBodyClaims(d);
      mark(d, 'body', variant, strength);
    }
  },
};

const bodyHuge: Defect = {
  group: 'body-huge',
  weight: 4,
  applies: HAS_BODY,
  apply(d, g) {
    const size = g.rnd.chance(0.1) ? g.rnd.int(100_000, 1_000_000) : g.rnd.int(16 * 1024 + 1, 64 * 1024);
    const variant = g.rnd.pick(['padding', 'long-string', 'deep-arrays', 'many-fields'] as const);
    const base = bodyBytes(d).toString('utf8');
    let text: string;
    if (variant === 'padding') text = `${' '.repeat(size)}${base}`;
    else if (variant === 'long-string') text = `{"customerId":"${'x'.repeat(size)}","qty":1}`;
    else if (variant === 'deep-arrays') text = deepArrays(Math.ceil(size / 2)).text;
    else text = `{${Array.from({ length: Math.ceil(size / 12) }, (_, i) => `"f${i}":${i}`).join(',')}}`;
    d.body = { raw: Buffer.from(text, 'utf8') };
    // Over the limit whatever it says; sent chunked half the time so the limit counts a stream.
    d.chunked = g.rnd.chance();
    dropBodyClaims(d);
    mark(d, 'body-huge', `${variant}${d.chunked ? '-chunked' : ''}`, UNIVERSAL, 'body');
  },
};

const chunked: Defect = {
  group: 'chunked',
  weight: 2,
  applies: (d) => d.body !== null,
  apply(d) {
    d.chunked = true;
    mark(d, 'chunked', 'body', NONE);
  },
};

const bodyOnRead: Defect = {
  group: 'body-on-read',
  weight: 1,
  applies: (d) => !HAS_BODY(d),
  apply(d, g) {
    d.body = { raw: Buffer.from(g.rnd.pick(['{"customerId":"a"}', '{', deepArrays(3_000).text])) };
    d.headers['content-type'] = 'application/json';
    mark(d, 'body-on-read', d.method, NONE, 'content-type');
  },
};

// ---------------------------------------------------------------------------------------------
// Method, path, query

const EVERY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const method: Defect = {
  group: 'method',
  weight: 5,
  applies: () => true,
  apply(d, g) {
    const allowed = new Set(d.route.methods.includes('GET') ? [...d.route.methods, 'HEAD'] : d.route.methods);
    d.method = g.rnd.pick(EVERY_METHOD.filter((m) => !allowed.has(m)));
    // No route answers this method at this path (a bent path might reach one).
    mark(d, 'method', d.method, ROUTE);
  },
};

/** SKU path segments the pattern refuses, percent-encoded or raw, none of which bends the path. */
const BAD_SKU_SEGMENTS: readonly string[] = [
  ...BAD_SKUS.map((s) => s.replace(/["<>`^{}|[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)),
  '%20A',
  'A%20',
  'A%09B',
  '%C3%A9',
  '%00',
  'A%00',
  'A%0D%0AX-Injected:1',
  '%F0%9F%94%A5',
  '%ED%A0%80',
  '%ff',
  '%',
  'A%',
  '%ZZ',
  'A%2',
  '%25',
  utf8Bytes('ключ'),
  'caf\u00e9',
  '\u00ff',
  'A'.repeat(5_000),
];

const skuBad: Defect = {
  group: 'sku',
  weight: 6,
  // Once a bent path replaced the pattern, a parameter no longer shows in it.
  applies: (d) => d.path === null && d.route.pattern.includes('{sku}'),
  apply(d, g) {
    d.params.sku = g.rnd.pick(BAD_SKU_SEGMENTS);
    // Refused by the SKU guard before routing, for any /v1 or /internal SKU path.
    mark(d, 'sku', 'bad', ROUTE);
  },
};

const idBad: Defect = {
  group: 'id',
  weight: 4,
  applies: (d) => d.path === null && (d.route.pattern.includes('{res}') || d.route.pattern.includes('{chk}')),
  apply(d, g) {
    const isRes = d.route.pattern.includes('{res}');
    const value = g.rnd.pick([
      'x'.repeat(65),
      'x'.repeat(g.rnd.int(1_000, 6_000)),
      isRes ? `RES_${g.rnd.hex(26).toUpperCase()}` : `CHK_${g.rnd.hex(32)}`,
      isRes ? `res_${g.rnd.hex(25)}` : `chk_${g.rnd.hex(31)}`,
      `chk_${g.rnd.hex(32).toUpperCase()}`,
      `res_${g.rnd.hex(26)}%00`,
      '%C3%A9',
      '%ZZ',
      '__proto__',
      'constructor',
      utf8Bytes('🔥'),
      'null',
      '-1',
    ]);
    if (isRes) d.params.res = value;
    else d.params.chk = value;
    mark(d, 'id', isRes ? 'reservation' : 'checkout', NONE);
  },
};

/** Segments that change the path's structure once a URL parser has normalised it. */
function bentSegments(g: Gen): string[] {
  const sku = g.rnd.pick(g.target.existing);
  return ['', '.', '..', '%2e', '%2E%2e', '.%2e', 'A/B', 'A%2FB', 'A%2fB', 'A%5CB', 'A\\B', '..%2F..%2Fadmin', `../admin/skus/${sku}`, `${sku}/..`, `${sku}/../${sku}`, `${sku}?x=1`, `${sku}#frag`, `${sku}%3F`, '%2F', `${sku};x=1`];
}

const pathBent: Defect = {
  group: 'path',
  weight: 6,
  applies: () => true,
  apply(d, g) {
    const variant = g.rnd.pick(['segment', 'trailing-slash', 'double-slash', 'dot-segment', 'case', 'absolute-form', 'fragment', 'long', 'raw-bytes', 'backslash'] as const);
    d.bent = true;
    if (variant === 'segment') {
      if (d.route.pattern.includes('{sku}')) {
        d.params.sku = g.rnd.pick(bentSegments(g));
        d.claims.delete('sku');
      } else if (d.route.pattern.includes('{res}')) d.params.res = g.rnd.pick(bentSegments(g));
      else if (d.route.pattern.includes('{chk}')) d.params.chk = g.rnd.pick(bentSegments(g));
      else d.path = `${buildPath(d)}/${g.rnd.pick(bentSegments(g))}`;
    } else {
      const path = buildPath(d);
      const cut = path.indexOf('/', 1) > 0 ? path.indexOf('/', 1) : path.length;
      d.path = {
        'trailing-slash': () => `${path}/`,
        'double-slash': () => `/${path}`.replace(/\/(?=[^/]*$)/, '//'),
        'dot-segment': () => `${path.slice(0, cut)}/${g.rnd.pick(['.', 'x/..', '%2e', 'x/%2e%2e', './.'])}${path.slice(cut)}`,
        // ASCII only: `ÿ`.toUpperCase() is not latin1, and Node would refuse to send it.
        case: () => (g.rnd.chance() ? path.replace(/[a-z]/g, (c) => c.toUpperCase()) : path.replace('/v1/', '/V1/')),
        'absolute-form': () => `http://${g.rnd.pick(['evil.example', '127.0.0.1', 'localhost:1'])}${path}`,
        fragment: () => `${path}#${g.rnd.pick(['', 'frag', '/../../admin'])}`,
        long: () => `${path}/${'a'.repeat(g.rnd.int(1_000, 7_000))}`,
        'raw-bytes': () => `${path.slice(0, cut)}/${utf8Bytes('ü')}${path.slice(cut)}`,
        backslash: () => path.replaceAll('/', '\\').replace(/^\\/, '/'),
        segment: () => path,
      }[variant]();
    }
    mark(d, 'path', variant, NONE);
  },
};

const queryInvalid: Defect = {
  group: 'query',
  weight: 6,
  applies: (d) => d.route.query !== undefined,
  apply(d, g) {
    const fields = Object.entries(d.route.query!);
    const [name, field] = g.rnd.pick(fields);
    d.query = d.query.filter((pair) => !pair.startsWith(`${name}=`));
    const variant = g.rnd.pick(['invalid', 'missing', 'repeated', 'bare', 'encoded-name'] as const);
    if (variant === 'invalid') d.query.push(`${name}=${field.invalid(g.rnd)}`);
    if (variant === 'repeated') d.query.push(`${name}=${field.valid(g.rnd)}`, `${name}=${field.invalid(g.rnd)}`);
    if (variant === 'bare') d.query.push(name);
    if (variant === 'encoded-name') d.query.push(`${encodeURIComponent(name).replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`)}=${field.invalid(g.rnd)}`);
    mark(d, 'query', `${name}-${variant}`, NONE);
  },
};

const JUNK_QUERY = ['a[b]=c', '__proto__[isAdmin]=1', 'constructor[prototype][x]=1', '&&&', '=', '==', 'x', ';', '%', '%ZZ=1', 'a=%', 'limit=1&limit=2', '?=?', 'consistent', `a=${'b'.repeat(4_000)}`, utf8Bytes('ключ=значение'), 'a=%00', 'after=NaN', 'limit=-1', 'consistent=maybe'];

const queryJunk: Defect = {
  group: 'query-junk',
  weight: 3,
  applies: () => true,
  apply(d, g) {
    const n = g.rnd.int(1, 4);
    for (let i = 0; i < n; i++) d.query.push(g.rnd.pick(JUNK_QUERY));
    mark(d, 'query-junk', String(n), NONE);
  },
};

const DEFECTS: readonly Defect[] = [
  auth,
  role,
  contentType,
  idempotencyKey,
  headerNoise,
  fieldInvalid,
  fieldMissing,
  fieldUnknown,
  protoKey,
  duplicateKey,
  fieldDeep,
  bodyRaw,
  bodyHuge,
  chunked,
  bodyOnRead,
  method,
  skuBad,
  idBad,
  pathBent,
  queryInvalid,
  queryJunk,
];

// ---------------------------------------------------------------------------------------------
// Drafts

function setEntry(entries: Entries, name: string, value: unknown): void {
  removeEntry(entries, name);
  entries.push([name, value]);
}

function removeEntry(entries: Entries, name: string): void {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![0] === name) entries.splice(i, 1);
}

function bodyBytes(d: Draft): Buffer {
  if (d.body === null) return Buffer.alloc(0);
  return 'raw' in d.body ? d.body.raw : encodeJson(new Obj(d.body.entries));
}

function randomBytes(rnd: Random, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => rnd.int(0, 255)));
}

function buildPath(d: Draft): string {
  // Replacer functions: a `$` in a hostile value must not be read as a replacement pattern.
  return d.route.pattern.replace('{sku}', () => d.params.sku).replace('{res}', () => d.params.res).replace('{chk}', () => d.params.chk);
}

const RES_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function initialDraft(route: Route, g: Gen): Draft {
  const { rnd, target, keys } = g;
  const headers: Record<string, string | string[]> = {};
  if (route.access === 'storefront') headers.authorization = `Bearer ${rnd.chance(0.8) ? keys.storefront : keys.admin}`;
  if (route.access === 'admin') headers.authorization = `Bearer ${keys.admin}`;
  const withBody = route.fields !== undefined;
  if (withBody) headers['content-type'] = 'application/json';
  if (route.idempotency === 'required' || (route.idempotency === 'optional' && rnd.chance())) headers['idempotency-key'] = `fuzz-${rnd.hex(16)}`;
  return {
    route,
    method: route.method,
    params: {
      sku: rnd.chance(0.75) ? rnd.pick(target.existing) : target.unknownSku(rnd),
      // Never a live id: the fuzz learns none, and 130 random bits are not guessed.
      res: `res_${rnd.string(26, RES_ALPHABET)}`,
      chk: `chk_${rnd.hex(32)}`,
    },
    bent: false,
    path: null,
    query: Object.entries(route.query ?? {}).filter(() => rnd.chance(0.7)).map(([name, f]) => `${name}=${f.valid(rnd)}`),
    headers,
    body: withBody ? { entries: validEntries(route, g) } : null,
    chunked: false,
    sign: route.access === 'signed' ? randomSignPlan(rnd) : null,
    // A request to a public route carries no key: wherever a bent path leads, it cannot write.
    claims: new Map(route.access === 'public' ? [['auth', UNIVERSAL]] : []),
    defects: [],
  };
}

function validEntries(route: Route, g: Gen): Entries {
  if (route.validBody) return route.validBody(g.rnd, g.target);
  return Object.entries(route.fields ?? {})
    .filter(([, f]) => f.required || g.rnd.chance(0.4))
    .map(([name, f]) => [name, f.valid(g.rnd, g.target)]);
}

function pickDefect(d: Draft, rnd: Random): Defect | null {
  // One defect per group: the same one twice says nothing new.
  const used = new Set(d.defects.map((label) => label.split(':')[0]));
  const candidates = DEFECTS.filter((x) => !used.has(x.group) && x.applies(d));
  const total = candidates.reduce((sum, x) => sum + x.weight, 0);
  let roll = rnd.next() * total;
  for (const x of candidates) {
    roll -= x.weight;
    if (roll < 0) return x;
  }
  return candidates.at(-1) ?? null;
}

/** How surely a request must be refused, given what it could do if it were valid. */
function requiredStrength(d: Draft, g: Gen, body: Buffer): Strength {
  if (!MUTATING(d.method)) return NONE;
  if (d.bent) return UNIVERSAL;
  if (d.route.writes === 'always') return ROUTE;
  if (d.route.writes === 'sku' && touchesExisting(d, g, body)) return ROUTE;
  return NONE;
}

/** Names an existing SKU in its path or anywhere in its body (a cart line): conservative on purpose. */
function touchesExisting(d: Draft, g: Gen, body: Buffer): boolean {
  const text = body.toString('latin1');
  return g.target.existing.some((sku) => d.params.sku === sku || text.includes(sku));
}

/** Adds a sure defect when the draft is not refused as surely as it must be. */
function enforce(d: Draft, g: Gen): void {
  const need = requiredStrength(d, g, bodyBytes(d));
  if (refusal(d) >= need) return;
  if (d.sign) {
    d.sign = { ...d.sign, kind: 'tampered', valid: false };
    mark(d, 'signature', 'tampered', UNIVERSAL);
  } else if (need === ROUTE && ENTRIES(d) !== null && fieldNames(d).length > 0 && d.method === d.route.method) {
    fieldInvalid.apply(d, g);
  } else if (ON_V1(d)) {
    d.headers.authorization = `Bearer not-a-key-${g.rnd.hex(8)}`;
    mark(d, 'auth', 'unknown-key', UNIVERSAL);
  }
  // Public routes need nothing (they carry no key); anything else here is a bug in this file.
  if (refusal(d) < requiredStrength(d, g, bodyBytes(d))) throw new Error(`${d.route.name} case is not surely refused: ${d.defects.join(' ')}`);
}

function toRequest(d: Draft): RawRequest {
  const path = d.path ?? buildPath(d);
  const query = d.query.length > 0 ? `${path.includes('?') ? '&' : '?'}${d.query.join('&')}` : '';
  const body = d.body === null ? undefined : bodyBytes(d);
  return { method: d.method, path: `${path}${query}`, headers: d.headers, ...(body ? { body } : {}), chunked: d.chunked };
}

// ---------------------------------------------------------------------------------------------
// Stray requests: paths no route serves, odd request targets

function strayPaths(g: Gen): string[] {
  const sku = g.rnd.pick(g.target.existing);
  return [
    '/',
    '/v1',
    '/v1/',
    '/v1/skus',
    '/v1/skus/',
    '/v1/admin',
    '/v1/admin/skus',
    `/v1/admin/skus/${sku}`,
    '/v1/checkouts/',
    '/internal',
    '/internal/',
    `/internal/skus/${sku}`,
    '/internal/projections/',
    `/v2/skus/${sku}`,
    '/favicon.ico',
    '/.env',
    '/.git/config',
    '/healthz/',
    '/HEALTHZ',
    '/openapi.json/..',
    `/v1/skus/${sku}/reservations/res_x/complete/extra`,
    `/v1/skus/${sku}/unknown`,
    `/${'a/'.repeat(g.rnd.int(100, 2_000))}`,
    `/${'a'.repeat(g.rnd.int(1_000, 7_000))}`,
    '/%',
    '/%ZZ',
    '/%00',
    // Not `*` (OPTIONS * HTTP/1.1): like a bad Host, it fails in Miniflare's entry worker, not here.
    'http://evil.example/healthz',
    `/?${'&'.repeat(g.rnd.int(1, 500))}`,
    `/${utf8Bytes('ключ')}`,
  ];
}

function strayCase(g: Gen): FuzzCase {
  const { rnd, keys } = g;
  const method = rnd.pick(EVERY_METHOD);
  const headers: Record<string, string> = {};
  if (rnd.chance(0.6)) headers.authorization = `Bearer ${rnd.pick([keys.admin, keys.storefront, 'nope'])}`;
  if (rnd.chance(0.6)) headers['content-type'] = 'application/json';
  // Garbage only: whatever a stray path normalises to, this body is refused there.
  const body = MUTATING(method) ? Buffer.from(rnd.pick([...INVALID_JSON, ...NOT_OBJECTS])) : undefined;
  const path = rnd.pick(strayPaths(g));
  return { route: 'stray paths', defects: [`stray:${method}`], request: { method, path, headers, ...(body ? { body } : {}) }, sign: null, times: 1 };
}

// ---------------------------------------------------------------------------------------------
// The generator

/** How often a stray path (no route at all) is aimed at, against the routes' own weights. */
const STRAY_WEIGHT = 4;

export class CaseGenerator {
  readonly #g: Gen;
  readonly #routes: ReadonlyArray<readonly [Route | null, number]>;

  constructor(seed: number, target: Target, keys: Keys) {
    this.#g = { rnd: new Random(seed), target, keys };
    this.#routes = [...ROUTES.map((r) => [r, r.weight] as const), [null, STRAY_WEIGHT] as const];
  }

  next(): FuzzCase {
    const g = this.#g;
    const route = this.#pickRoute();
    if (route === null) return strayCase(g);
    const d = initialDraft(route, g);
    if (d.sign) mark(d, 'signature', d.sign.kind, d.sign.valid ? NONE : UNIVERSAL);
    for (let n = defectCount(g.rnd, d); n > 0; n--) pickDefect(d, g.rnd)?.apply(d, g);
    enforce(d, g);
    return { route: route.name, defects: d.defects, request: toRequest(d), sign: d.sign, times: d.sign?.kind === 'replayed' ? 2 : 1 };
  }

  #pickRoute(): Route | null {
    let roll = this.#g.rnd.next() * this.#routes.reduce((sum, [, w]) => sum + w, 0);
    for (const [route, w] of this.#routes) {
      roll -= w;
      if (roll < 0) return route;
    }
    return null;
  }
}

/** Mostly one or two defects, so each is seen on its own; a few valid requests as a control. */
function defectCount(rnd: Random, d: Draft): number {
  const roll = rnd.next();
  const base = roll < 0.06 ? 0 : roll < 0.56 ? 1 : roll < 0.86 ? 2 : 3;
  // An internal call already has its signature plan; a bad one is the defect.
  return d.sign && !d.sign.valid ? Math.max(0, base - 1) : base;
}
