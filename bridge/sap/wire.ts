import { z } from 'zod';

/**
 * The OData V2 replies the adapter reads, one schema per wire shape (JSON format, as SAP Gateway
 * writes it: `{"d": entity}`, `{"d": {"results": [...]}}`, decimals as strings, dates as
 * `/Date(ms)/`). Only the fields the adapter uses are checked; the rest pass unread.
 */

/** Edm.Decimal: SAP writes it as a JSON string ("5.000") so no precision is lost in JavaScript. */
export const EdmDecimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'an Edm.Decimal as a string')
  .transform(Number);

/** Edm.DateTime in OData V2 JSON: `/Date(1733480000000)/`, optionally with an offset in minutes. */
export const EdmDateTime = z
  .string()
  .regex(/^\/Date\(-?\d+([+-]\d{4})?\)\/$/, 'an Edm.DateTime like /Date(1733480000000)/')
  .transform((text) => new Date(Number(/-?\d+/.exec(text.slice(6))![0])));

/** Edm.Time in OData V2 JSON: a duration since midnight, `PT10H04M59S`; as milliseconds. */
export const EdmTime = z
  .string()
  .regex(/^PT(\d{1,2})H(\d{1,2})M(\d{1,2})(\.\d+)?S$/, 'an Edm.Time like PT10H04M59S')
  .transform((text) => {
    const [, h, m, s] = /^PT(\d+)H(\d+)M(\d+)/.exec(text)!;
    return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
  });

export const edmDateTime = (at: Date) => `/Date(${at.getTime()})/`;

/** An OData string literal in $filter: single quotes doubled. */
export const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

const MetadataSchema = z.object({ uri: z.string(), type: z.string(), etag: z.string().optional() });

export const one = <T>(entity: z.ZodType<T>): z.ZodType<T> => z.object({ d: entity }).transform((r) => r.d);
export const many = <T>(entity: z.ZodType<T>): z.ZodType<T[]> => z.object({ d: z.object({ results: z.array(entity) }) }).transform((r) => r.d.results);

export const ReservationItemSchema = z.object({
  __metadata: MetadataSchema,
  Reservation: z.string().min(1),
  ReservationItem: z.string().min(1),
  Product: z.string(),
  Plant: z.string(),
  StorageLocation: z.string(),
  ResvnItmRequiredQtyInEntryUnit: EdmDecimal,
  ReservationItemText: z.string(),
  ReservationItmIsMarkedForDeltn: z.boolean(),
  ReservationItemIsFinallyIssued: z.boolean(),
  ResvnItmWithdrawnQtyInBaseUnit: EdmDecimal,
  MatlCompRequirementDate: EdmDateTime.nullable(),
});
export type ReservationItem = z.output<typeof ReservationItemSchema>;

/** A header as read singly (for its ETag) or as created (the deep insert answers the items back). */
export const ReservationHeaderSchema = z.object({
  __metadata: MetadataSchema,
  Reservation: z.string().min(1),
});

export const StockSchema = z.object({
  Material: z.string().min(1),
  Plant: z.string(),
  StorageLocation: z.string(),
  InventoryStockType: z.string(),
  MatlWrhsStkQtyInMatlBaseUnit: EdmDecimal,
});
export type Stock = z.output<typeof StockSchema>;

export const MaterialDocumentItemSchema = z.object({
  MaterialDocumentYear: z.string(),
  MaterialDocument: z.string().regex(/^\d{10}$/, 'a 10-digit material document number'),
  MaterialDocumentItem: z.string(),
  Material: z.string().min(1),
  Plant: z.string(),
  StorageLocation: z.string(),
  GoodsMovementType: z.string(),
  QuantityInEntryUnit: EdmDecimal,
  DebitCreditCode: z.enum(['S', 'H']),
  Reservation: z.string().nullish(),
  ReservationItem: z.string().nullish(),
  PostingDate: EdmDateTime.nullable(),
});
export type MaterialDocumentItem = z.output<typeof MaterialDocumentItemSchema>;

/** A posting's header: when it was entered (the items carry only their posting date). */
export const MaterialDocumentHeaderSchema = z.object({
  MaterialDocument: z.string().regex(/^\d{10}$/, 'a 10-digit material document number'),
  CreationDate: EdmDateTime.nullish(),
  CreationTime: EdmTime.nullish(),
});
export type MaterialDocumentHeader = z.output<typeof MaterialDocumentHeaderSchema>;

/** SAP Gateway's error body (JSON format). */
export const ODataErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.object({ value: z.string() }),
  }),
});
