import { NONCE_HEADER, SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, TIMESTAMP_HEADER } from '../src/contract/signature';
import type { Random } from '../bench/lib/random';
import { signatureFor, type SignInput } from './signing';

/**
 * How an internal call is signed, decided when the case is generated (so it follows the seed)
 * and carried out just before sending (timestamps must be near the Worker's clock).
 */
export type SignKind =
  | 'none'
  | 'missing-timestamp'
  | 'missing-nonce'
  | 'missing-signature'
  | 'malformed-timestamp'
  | 'malformed-nonce'
  | 'malformed-signature'
  | 'expired'
  | 'future'
  | 'wrong-secret'
  | 'wrong-method'
  | 'wrong-path'
  | 'wrong-body'
  | 'tampered'
  | 'duplicated'
  | 'valid'
  | 'replayed';

export type SignPlan = {
  kind: SignKind;
  /** Whether the Worker may accept it (the first send of a replay is a good call). */
  valid: boolean;
  nonce: string;
  /** Seconds added to now: expired, future. */
  offset: number;
  /** A replacement for the timestamp, nonce or signature (malformed), or what was signed instead (wrong-*). */
  alt: string;
};

const WEIGHTS: ReadonlyArray<readonly [SignKind, number]> = [
  ['none', 8],
  ['missing-timestamp', 3],
  ['missing-nonce', 3],
  ['missing-signature', 3],
  ['malformed-timestamp', 6],
  ['malformed-nonce', 5],
  ['malformed-signature', 8],
  ['expired', 8],
  ['future', 4],
  ['wrong-secret', 7],
  ['wrong-method', 4],
  ['wrong-path', 5],
  ['wrong-body', 4],
  ['tampered', 6],
  ['duplicated', 2],
  ['valid', 10],
  ['replayed', 10],
];

const ACCEPTABLE: ReadonlySet<SignKind> = new Set(['valid', 'replayed', 'duplicated']);

export function randomSignPlan(rnd: Random): SignPlan {
  const kind = weighted(rnd, WEIGHTS);
  return { kind, valid: ACCEPTABLE.has(kind), nonce: rnd.hex(24), offset: offsetFor(kind, rnd), alt: altFor(kind, rnd) };
}

function weighted<T>(rnd: Random, rows: ReadonlyArray<readonly [T, number]>): T {
  let roll = rnd.next() * rows.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, w] of rows) {
    roll -= w;
    if (roll < 0) return value;
  }
  return rows.at(-1)![0];
}

function offsetFor(kind: SignKind, rnd: Random): number {
  const beyond = SIGNATURE_TOLERANCE_SECONDS + 1;
  if (kind === 'expired') return -rnd.pick([beyond + 1, beyond + rnd.int(0, 3_600), beyond + rnd.int(0, 10_000_000)]);
  if (kind === 'future') return rnd.pick([beyond + 1, beyond + rnd.int(0, 3_600), beyond + rnd.int(0, 10_000_000)]);
  return 0;
}

function altFor(kind: SignKind, rnd: Random): string {
  switch (kind) {
    case 'malformed-timestamp':
      return rnd.pick(['abc', '-5', '1e9', '1234567890123', '0x10', '17000000000.5', '+1700000000', '１７００', '99999999999999999999']);
    case 'malformed-nonce':
      return rnd.pick([rnd.hex(8), rnd.hex(24).toUpperCase(), 'z'.repeat(24), rnd.hex(65), `${rnd.hex(12)} ${rnd.hex(12)}`, '-'.repeat(16)]);
    case 'malformed-signature':
      return rnd.pick([
        `v2=${rnd.hex(64)}`,
        'v1=',
        'v1=xyz',
        `v1=${rnd.hex(63)}`,
        `v1=${rnd.hex(64).toUpperCase()}`,
        rnd.hex(64),
        `V1=${rnd.hex(64)}`,
        `v1=${rnd.hex(64)},v1=${rnd.hex(64)}`,
        `v1==${rnd.hex(64)}`,
        `v1=${'g'.repeat(64)}`,
      ]);
    case 'wrong-secret':
      return rnd.pick(['', 'bench-internal-secreT', 'dev-internal-secret', rnd.hex(32)]);
    case 'wrong-method':
      return rnd.pick(['GET', 'POST', 'PUT', 'DELETE', 'get']);
    case 'wrong-body':
      return rnd.pick([' ', '{}', '\n', 'x']);
    default:
      return '';
  }
}

/** The signature headers of a plan for this request, at `nowMs`. */
export function signatureHeaders(plan: SignPlan, secret: string, req: Omit<SignInput, 'secret' | 'timestamp' | 'nonce'>, nowMs: number): Record<string, string | string[]> {
  const timestamp = String(Math.floor(nowMs / 1000) + plan.offset);
  const base: SignInput = { secret, timestamp, nonce: plan.nonce, ...req };
  const good = () => signatureFor(base);
  const headers = (ts: string, nonce: string, sig: string | string[]) => ({ [TIMESTAMP_HEADER]: ts, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: sig });
  switch (plan.kind) {
    case 'none':
      return {};
    case 'missing-timestamp':
      return { [NONCE_HEADER]: plan.nonce, [SIGNATURE_HEADER]: good() };
    case 'missing-nonce':
      return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: good() };
    case 'missing-signature':
      return { [TIMESTAMP_HEADER]: timestamp, [NONCE_HEADER]: plan.nonce };
    case 'malformed-timestamp':
      return headers(Buffer.from(plan.alt, 'utf8').toString('latin1'), plan.nonce, good());
    case 'malformed-nonce':
      return headers(timestamp, plan.alt, good());
    case 'malformed-signature':
      return headers(timestamp, plan.nonce, plan.alt);
    case 'wrong-secret':
      return headers(timestamp, plan.nonce, signatureFor({ ...base, secret: plan.alt === secret ? `${secret}x` : plan.alt }));
    case 'wrong-method':
      return headers(timestamp, plan.nonce, signatureFor({ ...base, method: plan.alt.toUpperCase() === req.method.toUpperCase() ? 'PATCH' : plan.alt }));
    case 'wrong-path':
      return headers(timestamp, plan.nonce, signatureFor({ ...base, path: otherPath(req.path) }));
    case 'wrong-body':
      return headers(timestamp, plan.nonce, signatureFor({ ...base, body: `${req.body}${plan.alt}` }));
    case 'tampered':
      return headers(timestamp, plan.nonce, flipLastHex(good()));
    case 'duplicated':
      return headers(timestamp, plan.nonce, [good(), good()]);
    case 'expired':
    case 'future':
    case 'valid':
    case 'replayed':
      return headers(timestamp, plan.nonce, good());
  }
}

/** The same call for another resource: a signature must not be reusable across paths. */
function otherPath(path: string): string {
  if (path.includes('?')) return path.slice(0, path.indexOf('?'));
  const other = path.replace(/\/skus\/([^/]+)/, '/skus/$1x');
  return other === path ? `${path}/` : other;
}

function flipLastHex(signature: string): string {
  const last = signature.at(-1)!;
  return `${signature.slice(0, -1)}${last === '0' ? '1' : '0'}`;
}
