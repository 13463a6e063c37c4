import { z } from 'zod';
import { WarehouseIdSchema } from '../src/domain/sku/events';
import { LocationIdSchema, RegionSchema } from '../src/domain/sku/locations';
import { PlantsSchema } from './sap/plants';

export { WarehouseIdSchema };

/**
 * The warehouse systems the bridge talks to (issue 22): each serves some locations, and the bridge
 * follows each one's movement documents into the SKUs' stock (bridge/feed). Configured by
 * `WAREHOUSES` (a JSON list); without it, one SOAP warehouse `soap-1` at `WMS_URL`.
 */

export const DEFAULT_WAREHOUSE_ID = 'soap-1';

const LocationsSchema = z
  .array(LocationIdSchema)
  .min(1, 'list at least one location, or leave locations out')
  .refine((names) => new Set(names).size === names.length, 'each location once');

/** The legacy custom WMS (SOAP, its WSDL at `${url}?wsdl`): the simulator in bridge/wms is one. */
const SoapWarehouseSchema = z.strictObject({
  /** Names the warehouse in the feed's cursor, in every fed event's cause and in `inventory warehouses`. */
  id: WarehouseIdSchema,
  kind: z.literal('soap'),
  url: z.url({ protocol: /^https?$/, error: 'url must be the http(s) URL of the SOAP endpoint' }),
  /** The sites it serves; left out, whatever locations its documents name. */
  locations: LocationsSchema.optional(),
  /** Lower first, when more than one warehouse could serve (informational for the feed). */
  priority: z.int().min(0).max(1_000_000).optional(),
  region: RegionSchema.optional(),
});

/**
 * An SAP S/4HANA system through its OData V2 APIs (bridge/sap, ADR 0017): `url` is the host root,
 * the services live under /sap/opu/odata/sap/; `plants` maps each location to its plant and
 * storage location (the same table as the simulator's SAP_PLANTS).
 */
/** The longest reservation id (33) + `@` + this + `~999` is SAP's ReservationItemText (50), where the reference lives. */
const MAX_SAP_LOCATION_LENGTH = 12;
const OdataWarehouseSchema = z
  .strictObject({
    id: WarehouseIdSchema,
    kind: z.literal('odata'),
    url: z
      .url({ protocol: /^https?$/, error: 'url must be the http(s) root of the SAP system, like http://127.0.0.1:8792' })
      .refine((url) => new URL(url).pathname === '/', 'url must be the root of the SAP system without a path: the services are found under /sap/opu/odata/sap/')
      // fetch refuses such a URL, and it would show the password wherever the URL is shown (inventory warehouses).
      .refine((url) => new URL(url).username === '' && new URL(url).password === '', 'url must not carry a user or password: give them as user and password'),
    user: z.string().min(1, 'user must name the SAP user the bridge signs in as'),
    password: z.string().min(1, "password must be the SAP user's password"),
    plants: PlantsSchema,
    locations: LocationsSchema.optional(),
    priority: z.int().min(0).max(1_000_000).optional(),
    region: RegionSchema.optional(),
  })
  .superRefine((warehouse, ctx) => {
    for (const location of Object.keys(warehouse.plants)) {
      if (location.length > MAX_SAP_LOCATION_LENGTH) {
        ctx.addIssue({ code: 'custom', path: ['plants', location], message: `location ${location} is longer than ${MAX_SAP_LOCATION_LENGTH} characters: a reference res_…@${location}~n would not fit SAP's ReservationItemText (50)` });
      }
    }
    for (const location of warehouse.locations ?? []) {
      if (!Object.hasOwn(warehouse.plants, location)) ctx.addIssue({ code: 'custom', path: ['locations'], message: `location ${location} has no entry in plants: map it to its plant and storageLocation` });
    }
  })
  // Left out, the locations are those of its plants: it serves no other, so it must not be taken for one that serves any.
  .transform((warehouse) => ({ ...warehouse, locations: warehouse.locations ?? Object.keys(warehouse.plants) }));

/** The kinds of warehouse system the bridge has an adapter for, behind the one port (bridge/wms/client.ts). */
export const WarehouseSchema = z.discriminatedUnion('kind', [SoapWarehouseSchema, OdataWarehouseSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? "kind must be 'soap' or 'odata'" : undefined),
});
export type Warehouse = z.output<typeof WarehouseSchema>;

/** Every id and every location once: a location fed by two warehouses would have two truths. */
export const WarehouseListSchema = z
  .array(WarehouseSchema)
  .min(1, 'list at least one warehouse, or unset WAREHOUSES for the default one at WMS_URL')
  .superRefine((warehouses, ctx) => {
    const ids = new Set<string>();
    const servedBy = new Map<string, string>();
    warehouses.forEach((warehouse, i) => {
      if (ids.has(warehouse.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `warehouse id ${warehouse.id} is listed twice` });
      ids.add(warehouse.id);
      for (const location of warehouse.locations ?? []) {
        const other = servedBy.get(location);
        if (other !== undefined && other !== warehouse.id) {
          ctx.addIssue({ code: 'custom', path: [i, 'locations'], message: `location ${location} is served by ${other} already: each location has one warehouse` });
        }
        servedBy.set(location, warehouse.id);
      }
    });
  });

/** `WAREHOUSES` as set: JSON text, checked item by item (the error names the index and the field). */
export const WarehousesEnvSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not JSON (${error instanceof Error ? error.message : String(error)}): a list like [{"id":"soap-1","kind":"soap","url":"http://127.0.0.1:8789/wms"}]` });
      return z.NEVER;
    }
  })
  .pipe(WarehouseListSchema);

/** `WMS_LOCATIONS` as the simulator reads it (`AMS-1,RTM-2`): the default warehouse's sites. */
export const LocationListEnvSchema = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim()).filter(Boolean))
  .pipe(LocationsSchema);

/** The configured warehouses, or the default one: `soap-1` at `WMS_URL`, serving `WMS_LOCATIONS` if set. */
export function warehousesOf(config: { WAREHOUSES?: Warehouse[] | undefined; WMS_URL: string; WMS_LOCATIONS?: string[] | undefined }): Warehouse[] {
  if (config.WAREHOUSES) return config.WAREHOUSES;
  return [{ id: DEFAULT_WAREHOUSE_ID, kind: 'soap', url: config.WMS_URL, ...(config.WMS_LOCATIONS ? { locations: config.WMS_LOCATIONS } : {}) }];
}

/**
 * The warehouse serving `location` (undefined: the default site): the one that lists it, else
 * the first that lists none (it serves whatever its documents name), else the first configured.
 */
export function warehouseServing(warehouses: readonly Warehouse[], location: string | undefined): Warehouse {
  const listing = location === undefined ? undefined : warehouses.find((w) => w.locations?.includes(location));
  return listing ?? warehouses.find((w) => w.locations === undefined) ?? warehouses[0]!;
}
