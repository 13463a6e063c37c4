import { z } from 'zod';
import { DEFAULT_LOCATION, LocationIdSchema } from '../../src/domain/sku/locations';

/**
 * Our locations as SAP knows them: each is one (Plant, StorageLocation) pair, 4 characters each
 * (`FRA-1` → `1010`/`0001`). The odata warehouse's `plants` and the simulator's `SAP_PLANTS` are
 * this one schema and this one PlantMap, so the adapter translates both ways with the table the simulator stocks.
 */

const SapCode = (what: string) => z.string().regex(/^[A-Za-z0-9]{4}$/, `${what} must be 4 letters or digits (SAP's key length)`);
export const PlantSchema = SapCode('plant');
export const StorageLocationSchema = SapCode('storageLocation');

export const PlantSiteSchema = z.strictObject({ plant: PlantSchema, storageLocation: StorageLocationSchema });
export type PlantSite = z.output<typeof PlantSiteSchema>;

export const PlantsSchema = z
  .record(LocationIdSchema, PlantSiteSchema)
  .refine((plants) => Object.keys(plants).length > 0, 'map at least one location to its plant and storageLocation')
  .superRefine((plants, ctx) => {
    const seen = new Map<string, string>();
    for (const [location, { plant, storageLocation }] of Object.entries(plants)) {
      const pair = `${plant}/${storageLocation}`;
      const other = seen.get(pair);
      // Two locations on one pair could not be told apart in the warehouse's documents.
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: [location], message: `plant ${plant} storageLocation ${storageLocation} is ${other}'s already: each location its own pair` });
      seen.set(pair, location);
    }
  });
export type Plants = z.output<typeof PlantsSchema>;

/** The two-way table: where a location's stock lives in SAP, and which location a document's plant/storage location is. */
export class PlantMap {
  private readonly byPair: Map<string, string>;

  constructor(private readonly plants: Plants) {
    this.byPair = new Map(Object.entries(plants).map(([location, site]) => [pairKey(site.plant, site.storageLocation), location]));
  }

  /** Every location mapped, in the order configured. */
  get locations(): string[] {
    return Object.keys(this.plants);
  }

  /** The default site (a call naming no location): `default` if mapped, else the first mapping. */
  get defaultLocation(): string {
    return DEFAULT_LOCATION in this.plants ? DEFAULT_LOCATION : Object.keys(this.plants)[0]!;
  }

  /** Where `location` (undefined: the default site) lives; undefined when it is not mapped. */
  siteOf(location: string | undefined): PlantSite | undefined {
    return Object.hasOwn(this.plants, location ?? this.defaultLocation) ? this.plants[location ?? this.defaultLocation] : undefined;
  }

  /** The location at a plant/storage location; undefined when it is none of ours. */
  locationAt(plant: string, storageLocation: string): string | undefined {
    return this.byPair.get(pairKey(plant, storageLocation));
  }
}

const pairKey = (plant: string, storageLocation: string) => `${plant}\u0000${storageLocation}`;
