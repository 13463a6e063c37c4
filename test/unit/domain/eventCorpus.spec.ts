import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_EVENT_HISTORIES, upcastCheckoutEvent, upcastCheckoutRecord } from '../../../src/domain/checkout';
import { currentVersion } from '../../../src/domain/core/schemaVersion';
import { SKU_EVENT_HISTORIES, upcastSkuEvent, type ReservationFacts } from '../../../src/domain/sku';

/**
 * The frozen corpus (test/fixtures/events): one file per event type per version it ever had,
 * holding records as they were written at that version (before versions were stamped, and
 * stamped). Each must still read as today's event, exactly as below. Never edit a fixture: a
 * new version gets a new file.
 */
const root = resolve(import.meta.dirname, '..', '..', 'fixtures', 'events');
const corpus = (stream: string): Map<string, Record<string, unknown>[]> =>
  new Map(readdirSync(join(root, stream)).filter((f) => f.endsWith('.json')).map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(root, stream, f), 'utf8')) as Record<string, unknown>[]]));

const versionsOf = (histories: Record<string, { steps: readonly unknown[] }>) =>
  Object.entries(histories).flatMap(([type, h]) => Array.from({ length: h.steps.length + 1 }, (_, i) => `${type}.v${i + 1}`)).sort();

const SKU = 'SNKR-AJ1-42';
const R1 = 'res_0k3v7q9m2x5b8n1c4r6t0w2y4z';
const R2 = 'res_7h2j4k6m8n0p2q4r6s8t0v2w4x';
/** The reservations' rows as the object has them when it reads the log: R1 bought then released by an admin, R2 cancelled while held. */
const rows = new Map<string, ReservationFacts>([[R1, { qty: 2, completed: true }], [R2, { qty: 1, completed: false }]]);
const withoutStamp = ({ schemaVersion: _, ...event }: Record<string, unknown>) => event;

describe('the SKU event corpus', () => {
  const files = corpus('sku');

  it('has a file for every version of every SKU event type, and nothing else', () => {
    expect([...files.keys()].sort()).toEqual(versionsOf(SKU_EVENT_HISTORIES));
  });

  it.each([...files].flatMap(([file, records]) => records.map((record, i) => [`${file}[${i}]`, file, record] as const)))(
    '%s reads as a valid current event, from the version its file names',
    (_, file, record) => {
      const read = upcastSkuEvent(record, (id) => rows.get(id) ?? null);
      if (!read.ok) throw new Error(read.error.message);
      expect(`${read.value.event.type}.v${read.value.from}`).toBe(file);
      if ('schemaVersion' in record) expect(record.schemaVersion).toBe(read.value.from);
    },
  );

  it('types that never changed read exactly as written, without the stamp', () => {
    for (const [file, records] of files) {
      if (file.startsWith('ReservationCompleted') || file.startsWith('StockReleased')) continue;
      for (const record of records) expect(upcastSkuEvent(record)).toEqual({ ok: true, value: { event: withoutStamp(record), from: 1 } });
    }
  });

  it('a v1 completion takes its quantity from the row; a v2 one carries it', () => {
    const expected = { type: 'ReservationCompleted', sku: SKU, version: 5, causedBy: { [`sku:${SKU}`]: 3 }, data: { reservationId: R1, qty: 2 } };
    const [v1] = files.get('ReservationCompleted.v1')!;
    expect(upcastSkuEvent(v1, (id) => rows.get(id) ?? null)).toEqual({ ok: true, value: { event: { ...expected, at: '2026-11-26T09:04:00.000Z' }, from: 1 } });
    const [unstamped, stamped] = files.get('ReservationCompleted.v2')!;
    expect(upcastSkuEvent(unstamped)).toEqual({ ok: true, value: { event: { ...expected, at: '2026-12-03T14:04:00.000Z' }, from: 2 } });
    expect(upcastSkuEvent(stamped)).toEqual({ ok: true, value: { event: { ...expected, at: '2027-01-10T08:04:00.000Z' }, from: 2 } });
  });

  it('a v1 release is a refund exactly when its reservation was bought first; a v2 one says so', () => {
    const [boughtRelease, heldRelease] = files.get('StockReleased.v1')!;
    const lookup = (id: string) => rows.get(id) ?? null;
    expect(upcastSkuEvent(boughtRelease, lookup)).toEqual({
      ok: true,
      value: { from: 1, event: { type: 'StockReleased', sku: SKU, version: 6, at: '2026-11-26T09:05:00.000Z', causedBy: { [`sku:${SKU}`]: 3 }, data: { reservationId: R1, qty: 2, reason: 'admin', refundDue: true } } },
    });
    expect(upcastSkuEvent(heldRelease, lookup)).toEqual({
      ok: true,
      value: { from: 1, event: { type: 'StockReleased', sku: SKU, version: 8, at: '2026-11-26T09:07:00.000Z', causedBy: { [`sku:${SKU}`]: 7 }, data: { reservationId: R2, qty: 1, reason: 'cancelled', refundDue: false } } },
    });
    for (const record of files.get('StockReleased.v2')!) expect(upcastSkuEvent(record)).toEqual({ ok: true, value: { event: withoutStamp(record), from: 2 } });
  });

  it('a v1 record read without its row is not guessed: the reader is told the facts are missing', () => {
    for (const file of ['ReservationCompleted.v1', 'StockReleased.v1']) {
      for (const record of files.get(file)!) expect(upcastSkuEvent(record)).toMatchObject({ ok: false, error: { code: 'missing_facts', schemaVersion: 1 } });
    }
  });
});

describe('the checkout event corpus', () => {
  const files = corpus('checkout');
  /** A coordinator's log row is (type, data); a record of inventory.checkouts has the envelope too. */
  const upcast = (record: Record<string, unknown>) => ('checkoutId' in record ? upcastCheckoutRecord(record) : upcastCheckoutEvent(record));

  it('has a file for every version of every checkout event type, and nothing else', () => {
    expect([...files.keys()].sort()).toEqual(versionsOf(CHECKOUT_EVENT_HISTORIES));
  });

  it.each([...files].flatMap(([file, records]) => records.map((record, i) => [`${file}[${i}]`, file, record] as const)))(
    '%s reads as a valid current event, from the version its file names',
    (_, file, record) => {
      const read = upcast(record);
      if (!read.ok) throw new Error(read.error.message);
      expect(`${read.value.event.type}.v${read.value.from}`).toBe(file);
      // Every version but v1 of a line's release or completion (below) reads exactly as written.
      const expected = file === 'LineReleased.v1' || file === 'LineCompleted.v1' ? { ...record, data: { ...(record.data as object), skuVersion: null } } : withoutStamp(record);
      expect(read.value.event).toEqual(expected);
    },
  );

  it('a v1 line release or completion reads as one that names no SKU event', () => {
    expect(upcastCheckoutEvent(files.get('LineReleased.v1')![0])).toEqual({ ok: true, value: { from: 1, event: { type: 'LineReleased', data: { sku: SKU, skuVersion: null } } } });
    expect(upcastCheckoutEvent(files.get('LineCompleted.v1')![0])).toEqual({ ok: true, value: { from: 1, event: { type: 'LineCompleted', data: { sku: SKU, skuVersion: null } } } });
  });

  it('names the current versions new records are stamped with', () => {
    expect(currentVersion(CHECKOUT_EVENT_HISTORIES, 'LineReleased')).toBe(2);
    expect(currentVersion(CHECKOUT_EVENT_HISTORIES, 'CheckoutStarted')).toBe(1);
    expect(currentVersion(SKU_EVENT_HISTORIES, 'ReservationCompleted')).toBe(2);
    expect(currentVersion(SKU_EVENT_HISTORIES, 'StockReleased')).toBe(2);
    expect(currentVersion(SKU_EVENT_HISTORIES, 'StockSet')).toBe(1);
  });
});
