import { createSapClient } from '../bridge/sap/client';
import { materialDocumentAfter } from '../bridge/sap/mapping';
import { createWmsClient, type WmsClient } from '../bridge/wms/client';
import type { Movement } from '../bridge/wms/movements';
import type { ServiceProcess } from '../test/e2e/support/processes';
import { FED_SITES } from './schedule';

/**
 * The torture run's two warehouse systems (issue 23): the SOAP warehouse `soap-1` serves the SKUs
 * without locations (its default site) and the first fed site; the SAP OData one `sap-1` serves the
 * second fed site. A fed SKU is stocked at both, so sagas fail over between the two kinds.
 */
export const SOAP_WAREHOUSE = 'soap-1';
export const SAP_WAREHOUSE = 'sap-1';
export const SOAP_LOCATIONS = ['default', FED_SITES[0].location];
export const SAP_LOCATION = FED_SITES[1].location;
export const SAP_USER = 'TORTURE';
export const SAP_PASSWORD = 'torture-sap-password';
export const TORTURE_WMS_ADMIN_KEY = 'bench-wms-admin';
export const TORTURE_SAP_ADMIN_KEY = 'bench-sap-admin';
export const SAP_PLANTS = { [SAP_LOCATION]: { plant: '1010', storageLocation: '0001' } };

/** Faults of each warehouse for the whole run (the outages come on top, from the schedule). */
export const WMS_FAULTS = {
  WMS_LATENCY_MS: '2-30',
  WMS_TIMEOUT_RATE: '0.1',
  WMS_FAULT_RATE: '0.05',
  WMS_DUPLICATE_RATE: '0.1',
  WMS_LATE_RATE: '0.05',
  WMS_LATE_MS: '1500',
};
export const SAP_FAULTS = {
  SAP_LATENCY_MS: '2-30',
  SAP_TIMEOUT_RATE: '0.05',
  SAP_FAULT_RATE: '0.05',
  SAP_DUPLICATE_RATE: '0.1',
  SAP_LATE_RATE: '0.05',
  SAP_LATE_MS: '1500',
  SAP_THROTTLE_RATE: '0.05',
  SAP_RETRY_AFTER_S: '1',
  SAP_LOST_RATE: '0.05',
};

/**
 * A warehouse system of the run: its simulator's admin API (documents, faults, outages), the port
 * the bridge uses, and a recorded movement as the feed reads it (SAP numbers its material documents
 * by the feed's sequence, `materialDocumentAfter(n)` being document n's number; the admin's
 * document number is their header text).
 */
export type Site = { warehouse: string; url: string; adminKey: string; client: () => Promise<WmsClient>; asFed: (m: Movement) => Movement };

export class Warehouses {
  constructor(
    readonly soap: ServiceProcess,
    readonly sap: ServiceProcess,
  ) {}

  /** The bridge's WAREHOUSES: the same list every replica gets. */
  config(): string {
    return JSON.stringify([
      { id: SOAP_WAREHOUSE, kind: 'soap', url: `${this.soap.url}/wms`, locations: SOAP_LOCATIONS },
      { id: SAP_WAREHOUSE, kind: 'odata', url: this.sap.url, user: SAP_USER, password: SAP_PASSWORD, plants: SAP_PLANTS, locations: [SAP_LOCATION] },
    ]);
  }

  get all(): Site[] {
    return [this.#soapSite(), this.#sapSite()];
  }

  /** The warehouse serving a location (null or `default`: the SOAP warehouse's default site). */
  at(location: string | null | undefined): Site {
    return location === SAP_LOCATION ? this.#sapSite() : this.#soapSite();
  }

  #soapSite(): Site {
    return { warehouse: SOAP_WAREHOUSE, url: this.soap.url, adminKey: TORTURE_WMS_ADMIN_KEY, client: () => createWmsClient(`${this.soap.url}/wms`), asFed: (m) => m };
  }

  #sapSite(): Site {
    const client = createSapClient({ url: this.sap.url, user: SAP_USER, password: SAP_PASSWORD, plants: SAP_PLANTS });
    return { warehouse: SAP_WAREHOUSE, url: this.sap.url, adminKey: TORTURE_SAP_ADMIN_KEY, client: async () => client, asFed: (m) => ({ ...m, document: materialDocumentAfter(m.sequence) }) };
  }
}
