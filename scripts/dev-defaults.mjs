// The documented local defaults of `npm start` (README, docs/operations.md), in one place.
export const WORKER_PORT = 8787;
export const BRIDGE_PORT = 8788;
export const WMS_PORT = 8789;
// 8790-8791: extra bridge replicas; 8792: the SAP OData simulator. The bridge's admin listener
// (the CLI, the dashboard, /metrics) is loopback-only on a port of its own.
export const SAP_PORT = 8792;
// The local S3 API server standing in for R2 (bridge/archive/localS3.ts): the archive and its snapshots.
export const OBJECTS_PORT = 8794;
export const BRIDGE_ADMIN_PORT = 8798;
// One admin key per component, never shared (docs/adr/0003); the CLI's defaults match them.
// bridge/security/secrets.ts refuses every dev value beyond loopback.
export const BRIDGE_ADMIN_KEY = 'dev-bridge-admin';
export const WMS_ADMIN_KEY = 'dev-wms-admin';
export const SAP_ADMIN_KEY = 'dev-sap-admin';
// The local stack's two warehouses, one of each kind (docs/operations.md): `soap-1`, the SOAP
// simulator, serves the default site and AMS-1; `sap-1`, the SAP simulator, serves FRA-1 at its
// plant 1010, storage location 0001. The SAP user is the simulator's published local one.
export const WMS_LOCATIONS = ['default', 'AMS-1'];
export const SAP_PLANTS = { 'FRA-1': { plant: '1010', storageLocation: '0001' } };
export const SAP_USER = 'INVENTORY';
export const SAP_PASSWORD = 'local-only-password';
export const DEV_VARS = {
  STOREFRONT_KEYS: 'dev-storefront',
  ADMIN_KEYS: 'dev-admin',
  BRIDGE_URL: `http://127.0.0.1:${BRIDGE_PORT}`,
  INTERNAL_SECRET: 'dev-internal-secret',
};
