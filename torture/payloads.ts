import type { Random } from '../bench/lib/random';

/**
 * Hostile values and a JSON encoder that can write what JSON.stringify cannot: raw tokens
 * (`NaN`, `1e400`, `-0`, unbalanced brackets), raw bytes inside a string (invalid UTF-8), and
 * objects with a key written twice.
 */

/** Written verbatim: any token, valid JSON or not. */
export class Raw {
  constructor(readonly text: string) {}
}

/** Written verbatim between quotes: bytes that need not be valid UTF-8. */
export class Bytes {
  constructor(readonly bytes: Buffer) {}
}

/** An object as a list of entries, so one key may appear twice (JSON.parse keeps the last). */
export type Entries = Array<[string, unknown]>;
export class Obj {
  constructor(readonly entries: Entries) {}
}

export function encodeJson(value: unknown): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function write(value: unknown, out: Buffer[]): void {
  if (value instanceof Raw) out.push(Buffer.from(value.text, 'utf8'));
  else if (value instanceof Bytes) out.push(Buffer.from('"'), value.bytes, Buffer.from('"'));
  else if (value instanceof Obj) writeEntries(value.entries, out);
  else if (Array.isArray(value)) writeList(value, out);
  else if (value !== null && typeof value === 'object') writeEntries(Object.entries(value), out);
  else out.push(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
}

function writeList(items: unknown[], out: Buffer[]): void {
  out.push(Buffer.from('['));
  items.forEach((item, i) => {
    if (i > 0) out.push(Buffer.from(','));
    write(item, out);
  });
  out.push(Buffer.from(']'));
}

function writeEntries(entries: Entries, out: Buffer[]): void {
  out.push(Buffer.from('{'));
  entries.forEach(([key, item], i) => {
    out.push(Buffer.from(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`));
    write(item, out);
  });
  out.push(Buffer.from('}'));
}

/** Arrays nested `depth` deep around `inner`: a parser or validator that recurses may overflow. */
export const deepArrays = (depth: number, inner = '1'): Raw => new Raw('['.repeat(depth) + inner + ']'.repeat(depth));
/** Objects nested `depth` deep. */
export const deepObjects = (depth: number): Raw => new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

/** Strings that break naive handling: control characters, lone surrogates, bidi overrides, injections. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  'a b',
  '\u0000',
  'nul\u0000byte',
  '\u0007\u0008\u001b[31mred',
  'line\r\nInjected-Header: 1',
  '\t',
  '\u007f',
  '\u0085\u00a0',
  '\ud800',
  'lone\udfffsurrogate',
  '\u202eevil',
  'zero\u200bwidth',
  '\ufeffbom',
  'ключ',
  'é',
  '🔥🔥',
  '../../etc/passwd',
  '%00',
  '%2F',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '<script>alert(1)</script>',
  '${7*7}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
];

/** Raw byte sequences that are not valid UTF-8 (a decoder must replace, not crash). */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0x61, 0x80, 0x62]),
];

/** Values that are not a positive integer in range, including tokens JSON.stringify cannot write. */
export const BAD_NUMBERS: readonly unknown[] = [
  0,
  -1,
  1.5,
  1e9,
  2 ** 31,
  // Past 2^53 on purpose: a value JSON cannot carry exactly.
  // eslint-disable-next-line no-loss-of-precision
  9_007_199_254_740_993,
  -(2 ** 53),
  '1',
  '1e3',
  null,
  true,
  [],
  {},
  [1],
  { value: 1 },
  new Raw('-0'),
  new Raw('1e400'),
  new Raw('-1e400'),
];

/** Bodies that are not JSON at all (or not just JSON). */
export const INVALID_JSON: readonly string[] = [
  '',
  ' ',
  '{',
  '}',
  '{"a":}',
  "{'customerId':'a'}",
  '{"customerId":"a",}',
  '{"qty":NaN}',
  '{"qty":Infinity}',
  '{"qty":0x10}',
  '{"qty":01}',
  '{"a":1} trailing',
  '{"a":1}{"a":2}',
  '[1,2',
  'undefined',
  'nul',
  '{"a":"unterminated}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '\u0000{}',
  '<?xml version="1.0"?><a/>',
  'customerId=a&qty=1',
  '/* comment */ {}',
];

/** Valid JSON that is not an object. */
export const NOT_OBJECTS: readonly string[] = ['null', 'true', 'false', '0', '-1', '1e400', '"a string"', '""', '[]', '[{}]', '[null]', '[[[]]]'];

/** Anything but a string: what a client with a type bug sends. */
export const NOT_STRINGS: readonly unknown[] = [0, 1, -1, 1.5, true, false, null, [], {}, ['a'], { a: 'b' }];

const PRINTABLE_ID = /^[\x21-\x7e]{1,128}$/;

/** An identifier the API must refuse: not 1-128 printable ASCII characters without spaces (or not a string). */
export function badIdentifier(rnd: Random): unknown {
  const roll = rnd.next();
  if (roll < 0.15) return new Bytes(Buffer.concat([Buffer.from('x'), rnd.pick(INVALID_UTF8), Buffer.from('y')]));
  if (roll < 0.25) return 'x'.repeat(rnd.pick([129, 256, 1_000, 5_000]));
  if (roll < 0.4) return rnd.pick(NOT_STRINGS);
  return rnd.pick(HOSTILE_STRINGS.filter((s) => !PRINTABLE_ID.test(s)));
}

/** An identifier the API accepts but a careless store might not (prototype keys, paths, markup). */
export const nastyValidIdentifier = (rnd: Random): string => rnd.pick(HOSTILE_STRINGS.filter((s) => PRINTABLE_ID.test(s)));

