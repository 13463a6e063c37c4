// The documented local defaults of `npm start` (README, DESIGN "Local defaults"), in one place.
export const WORKER_PORT = 8787;
export const BRIDGE_PORT = 8788;
export const WMS_PORT = 8789;
export const DEV_VARS = {
  STOREFRONT_KEYS: 'dev-storefront',
  ADMIN_KEYS: 'dev-admin',
  BRIDGE_URL: `http://127.0.0.1:${BRIDGE_PORT}`,
  INTERNAL_SECRET: 'dev-internal-secret',
};
