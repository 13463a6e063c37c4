import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { keysOf, type EntityType } from './model';

/** A row as it goes on the wire: V2 JSON values (decimals as strings, dates as `/Date(ms)/`). */
export type Row = Record<string, string | boolean | null>;
export type Metadata = { id: string; uri: string; type: string; etag?: string };
/** A row with its `__metadata`, and navigations expanded (`results`) or deferred. */
export type Entity = { __metadata: Metadata; [property: string]: unknown };

/** Edm.DateTime in V2 JSON: milliseconds since the epoch, UTC. */
export const dateTime = (iso: string | null) => (iso === null ? null : `/Date(${Date.parse(iso)})/`);
/** Edm.Time in V2 JSON: an ISO 8601 duration since midnight. */
export const timeOfDay = (iso: string) => {
  const [h, m, s] = iso.slice(11, 19).split(':');
  return `PT${h}H${m}M${s}S`;
};
/** Edm.Decimal in V2 JSON is a string; SAP writes quantities with three decimals. */
export const decimal = (units: number) => units.toFixed(3);
/** SAP's ETag of a document changed at `iso`: a weak datetime literal, URL-encoded, to 100 ns. */
export const etagOf = (iso: string) => `W/"datetime'${encodeURIComponent(`${iso.slice(0, 23)}0000`)}'"`;

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** `('0000000001')`, or `(Reservation='0000000001',ReservationItem='0001',RecordType='')` for several keys. */
export function keyPredicate(entity: EntityType, row: Row): string {
  const keys = keysOf(entity);
  if (keys.length === 1) return `(${literal(String(row[keys[0]!]))})`;
  return `(${keys.map((k) => `${k}=${literal(String(row[k]))}`).join(',')})`;
}

const KEY_VALUE = /^(?:([A-Za-z_]\w*)=)?'((?:[^']|'')*)'$/;

/** The key values of a predicate as written in a URL, or undefined when it does not name every key exactly once. */
export function parseKeyPredicate(entity: EntityType, text: string): Record<string, string> | undefined {
  const keys = keysOf(entity);
  const parts = text.match(/(?:[A-Za-z_]\w*=)?'(?:[^']|'')*'/g) ?? [];
  if (parts.join(',') !== text) return undefined;
  const values: Record<string, string> = {};
  for (const part of parts) {
    const [, name = keys.length === 1 ? keys[0] : undefined, value = ''] = KEY_VALUE.exec(part) ?? [];
    if (!name || !keys.includes(name) || name in values) return undefined;
    values[name] = value.replace(/''/g, "'");
  }
  return Object.keys(values).length === keys.length ? values : undefined;
}

/** The row with its `__metadata`, as SAP Gateway writes an entity in V2 JSON. */
export function entityJson(serviceUrl: string, service: string, entity: EntityType, row: Row, etag?: string): Entity {
  const uri = `${serviceUrl}/${entity.set}${keyPredicate(entity, row)}`;
  return { __metadata: { id: uri, uri, type: `${service}.${entity.set}Type`, ...(etag ? { etag } : {}) }, ...row };
}

/** `{"error":{code, message:{lang,value}, innererror}}`: SAP Gateway's error body. */
export function errorBody(code: string, message: string, path: string) {
  return {
    error: {
      code,
      message: { lang: 'en', value: message },
      innererror: {
        application: { component_id: 'MM-IM', service_namespace: '/SAP/', service_id: serviceOf(path), service_version: '0001' },
        transactionid: randomUUID().replace(/-/g, '').toUpperCase(),
        errordetails: [],
      },
    },
  };
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 412 | 413 | 428 | 429 | 500 | 503;

export function odataError(c: Context, status: ErrorStatus, code: string, message: string, headers: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(errorBody(code, message, c.req.path), status);
}

const serviceOf = (path: string) => /\/sap\/opu\/odata\/sap\/([^/?]+)/.exec(path)?.[1] ?? '';
