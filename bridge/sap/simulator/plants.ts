import { z } from 'zod';
import { LocationSchema } from '../../wms/movements';

/** SAP's plant and storage location keys: 4 characters each (`1010`, `0001`). */
export const PlantSchema = z.string().regex(/^[A-Za-z0-9]{4}$/, 'a plant is 4 letters or digits');
export const StorageLocationSchema = z.string().regex(/^[A-Za-z0-9]{4}$/, 'a storage location is 4 letters or digits');
export const PlaceSchema = z.strictObject({ plant: PlantSchema, storageLocation: StorageLocationSchema });
export type Place = z.output<typeof PlaceSchema>;

/** Our location id (`FRA-1`) → the SAP plant and storage location holding its stock; each pair once. */
export const PlantsSchema = z
  .record(LocationSchema, PlaceSchema)
  .refine((plants) => Object.keys(plants).length > 0, 'at least one location')
  .refine((plants) => new Set(Object.values(plants).map(placeKey)).size === Object.keys(plants).length, 'each plant and storage location once');
export type Plants = z.output<typeof PlantsSchema>;

export const DEFAULT_PLANTS: Plants = { default: { plant: '1010', storageLocation: '0001' } };

function placeKey({ plant, storageLocation }: Place): string {
  return `${plant}/${storageLocation}`;
}

/** Both ways between our locations and SAP's (plant, storage location) pairs. */
export class PlantMap {
  private readonly byPlace: Map<string, string>;

  constructor(private readonly plants: Plants) {
    this.byPlace = new Map(Object.entries(plants).map(([location, place]) => [placeKey(place), location]));
  }

  get locations(): string[] {
    return Object.keys(this.plants);
  }

  placeOf(location: string): Place | undefined {
    return this.plants[location];
  }

  locationAt(plant: string, storageLocation: string): string | undefined {
    return this.byPlace.get(placeKey({ plant, storageLocation }));
  }
}
