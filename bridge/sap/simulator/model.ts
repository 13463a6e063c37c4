/**
 * The three services' entity types, as SAP publishes them in API_RESERVATION_DOCUMENT_SRV,
 * API_MATERIAL_STOCK_SRV and API_MATERIAL_DOCUMENT_SRV, cut down to the properties this simulator
 * fills. One description drives both the `$metadata` document and the JSON the routes answer, so
 * the two cannot drift apart.
 */

export type EdmType = 'Edm.String' | 'Edm.DateTime' | 'Edm.Decimal' | 'Edm.Boolean' | 'Edm.Time';

export type Property = {
  name: string;
  type: EdmType;
  label: string;
  key?: true;
  maxLength?: number;
  /** Edm.Decimal: SAP's precision and scale for quantities. */
  decimal?: { precision: number; scale: number };
  /** Edm.DateTime without a time of day (SAP's `sap:display-format="Date"`). */
  dateOnly?: true;
  /** Keys are never null; other properties are, unless SAP says otherwise. */
  nullable?: false;
};

export type Navigation = { name: string; to: string; multiplicity: '1' | '*' };

export type EntityType = {
  /** The entity set (`A_ReservationDocumentHeader`); its type is `${set}Type`, as SAP names them. */
  set: string;
  label: string;
  creatable: boolean;
  updatable: boolean;
  deletable: boolean;
  properties: readonly Property[];
  navigations: readonly Navigation[];
};

export type ServiceModel = { name: string; entities: readonly EntityType[] };

const text = (name: string, maxLength: number, label: string, key?: true): Property => ({ name, type: 'Edm.String', maxLength, label, ...(key ? { key } : {}) });
const quantity = (name: string, label: string): Property => ({ name, type: 'Edm.Decimal', decimal: { precision: 13, scale: 3 }, label });
const date = (name: string, label: string): Property => ({ name, type: 'Edm.DateTime', dateOnly: true, label });
const flag = (name: string, label: string): Property => ({ name, type: 'Edm.Boolean', label });

export const RESERVATION_SERVICE = 'API_RESERVATION_DOCUMENT_SRV';
export const STOCK_SERVICE = 'API_MATERIAL_STOCK_SRV';
export const MATERIAL_DOCUMENT_SERVICE = 'API_MATERIAL_DOCUMENT_SRV';

export const HEADER_SET = 'A_ReservationDocumentHeader';
export const ITEM_SET = 'A_ReservationDocumentItem';
export const STOCK_SET = 'A_MatlStkInAcctMod';
export const DOCUMENT_SET = 'A_MaterialDocumentHeader';
export const DOCUMENT_ITEM_SET = 'A_MaterialDocumentItem';

export const RESERVATION_MODEL: ServiceModel = {
  name: RESERVATION_SERVICE,
  entities: [
    {
      set: HEADER_SET,
      label: 'Reservation Document Header',
      creatable: true,
      updatable: false,
      deletable: true,
      properties: [
        text('Reservation', 10, 'Reservation', true),
        text('GoodsMovementType', 3, 'Movement Type'),
        text('CostCenter', 10, 'Cost Center'),
        text('GoodsRecipientName', 12, 'Goods Recipient'),
        date('ReservationDate', 'Base date'),
        text('IssuingOrReceivingPlant', 4, 'Receiving Plant'),
        text('IssuingOrReceivingStorageLoc', 4, 'Receiving SLoc'),
      ],
      navigations: [{ name: 'to_ReservationDocumentItem', to: ITEM_SET, multiplicity: '*' }],
    },
    {
      set: ITEM_SET,
      label: 'Reservation Document Item',
      // Created with their header (deep insert) only; SAP also takes them one by one.
      creatable: false,
      updatable: false,
      deletable: false,
      properties: [
        text('Reservation', 10, 'Reservation', true),
        text('ReservationItem', 4, 'Item', true),
        text('RecordType', 1, 'Record type', true),
        text('Product', 40, 'Product'),
        text('Plant', 4, 'Plant'),
        text('StorageLocation', 4, 'Storage Location'),
        date('MatlCompRequirementDate', 'Requirement Date'),
        quantity('ResvnItmRequiredQtyInEntryUnit', 'Qty in Unit of Entry'),
        text('EntryUnit', 3, 'Unit of Entry'),
        quantity('ResvnItmRequiredQtyInBaseUnit', 'Requirement Qty'),
        text('BaseUnit', 3, 'Base Unit of Measure'),
        quantity('ResvnItmWithdrawnQtyInBaseUnit', 'Qty Withdrawn'),
        flag('ReservationItmIsMarkedForDeltn', 'Item Deleted'),
        flag('ReservationItemIsFinallyIssued', 'Final Issue'),
        text('ReservationItemText', 50, 'Item Text'),
      ],
      navigations: [],
    },
  ],
};

export const STOCK_KEYS = [
  'Material',
  'Plant',
  'StorageLocation',
  'Batch',
  'Supplier',
  'Customer',
  'WBSElementInternalID',
  'SDDocument',
  'SDDocumentItem',
  'InventorySpecialStockType',
  'InventoryStockType',
] as const;

export const STOCK_MODEL: ServiceModel = {
  name: STOCK_SERVICE,
  entities: [
    {
      set: STOCK_SET,
      label: 'Material Stock',
      creatable: false,
      updatable: false,
      deletable: false,
      properties: [
        text('Material', 40, 'Material', true),
        text('Plant', 4, 'Plant', true),
        text('StorageLocation', 4, 'Storage Location', true),
        text('Batch', 10, 'Batch', true),
        text('Supplier', 10, 'Supplier', true),
        text('Customer', 10, 'Customer', true),
        text('WBSElementInternalID', 24, 'WBS Element', true),
        text('SDDocument', 10, 'Sales Order', true),
        text('SDDocumentItem', 6, 'Sales Order Item', true),
        text('InventorySpecialStockType', 1, 'Special Stock Type', true),
        text('InventoryStockType', 2, 'Stock Type', true),
        { name: 'MatlWrhsStkQtyInMatlBaseUnit', type: 'Edm.Decimal', decimal: { precision: 31, scale: 14 }, label: 'Quantity' },
        text('MaterialBaseUnit', 3, 'Base Unit of Measure'),
      ],
      navigations: [],
    },
  ],
};

export const MATERIAL_DOCUMENT_MODEL: ServiceModel = {
  name: MATERIAL_DOCUMENT_SERVICE,
  entities: [
    {
      set: DOCUMENT_SET,
      label: 'Material Document Header',
      creatable: false,
      updatable: false,
      deletable: false,
      properties: [
        text('MaterialDocumentYear', 4, 'Material Doc. Year', true),
        text('MaterialDocument', 10, 'Material Document', true),
        date('DocumentDate', 'Document Date'),
        date('PostingDate', 'Posting Date'),
        date('CreationDate', 'Entry Date'),
        { name: 'CreationTime', type: 'Edm.Time', label: 'Time of Entry' },
        // SAP's header text is 25 characters; ours carries the admin's document number (up to 64).
        text('MaterialDocumentHeaderText', 64, 'Document Header Text'),
      ],
      navigations: [{ name: 'to_MaterialDocumentItem', to: DOCUMENT_ITEM_SET, multiplicity: '*' }],
    },
    {
      set: DOCUMENT_ITEM_SET,
      label: 'Material Document Item',
      creatable: false,
      updatable: false,
      deletable: false,
      properties: [
        text('MaterialDocumentYear', 4, 'Material Doc. Year', true),
        text('MaterialDocument', 10, 'Material Document', true),
        text('MaterialDocumentItem', 4, 'Material Doc.Item', true),
        text('Material', 40, 'Material'),
        text('Plant', 4, 'Plant'),
        text('StorageLocation', 4, 'Storage Location'),
        text('GoodsMovementType', 3, 'Movement Type'),
        text('DebitCreditCode', 1, 'Debit/Credit ind'),
        quantity('QuantityInEntryUnit', 'Qty in unit of entry'),
        text('EntryUnit', 3, 'Unit of Entry'),
        text('Reservation', 10, 'Reservation'),
        text('ReservationItem', 4, 'Item No.Stock Transfer Reserv.'),
        date('PostingDate', 'Posting Date'),
      ],
      navigations: [],
    },
  ],
};

export const SERVICE_MODELS = [RESERVATION_MODEL, STOCK_MODEL, MATERIAL_DOCUMENT_MODEL] as const;

export function entityOf(model: ServiceModel, set: string): EntityType | undefined {
  return model.entities.find((entity) => entity.set === set);
}

export const keysOf = (entity: EntityType) => entity.properties.filter((p) => p.key).map((p) => p.name);
