import { STOCK_MODEL, STOCK_SET } from './model';
import { decimal, type Row } from './odataJson';
import type { PlantMap } from '../plants';
import { createODataService } from './service';
import type { SapStore } from './store';

/**
 * API_MATERIAL_STOCK_SRV: physical unrestricted-use stock (InventoryStockType '01') per material,
 * plant and storage location; reservations do not lower it, goods issues do, as in SAP. No batches,
 * special stocks or blocked stock: those keys are empty.
 */
export function createMaterialStockService(store: SapStore, plants: PlantMap) {
  const rows = async (): Promise<Row[]> =>
    (await store.levels()).flatMap(({ location, sku, physical }) => {
      const place = plants.siteOf(location);
      if (!place) return [];
      return [
        {
          Material: sku,
          Plant: place.plant,
          StorageLocation: place.storageLocation,
          Batch: '',
          Supplier: '',
          Customer: '',
          WBSElementInternalID: '00000000',
          SDDocument: '',
          SDDocumentItem: '000000',
          InventorySpecialStockType: '',
          InventoryStockType: '01',
          MatlWrhsStkQtyInMatlBaseUnit: decimal(physical),
          MaterialBaseUnit: 'PC',
        },
      ];
    });
  return createODataService(STOCK_MODEL, { [STOCK_SET]: { rows, filterable: ['Material', 'Plant', 'StorageLocation', 'InventoryStockType'] } });
}
