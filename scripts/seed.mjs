// Loads demo stock into a running local stack (default: `npm start` on its documented ports):
// three SKUs set at the edge by hand, and one fed by both warehouses — a goods receipt posted through
// each simulator's admin API (soap-1 at AMS-1, sap-1 at FRA-1), followed by the bridge's feed into
// the SKU, then reserved until each site holds a reservation the saga allocates at its warehouse.
import { SAP_ADMIN_KEY, SAP_PORT, WMS_ADMIN_KEY, WMS_PORT } from './dev-defaults.mjs';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8787';
const adminKey = process.env.ADMIN_KEY ?? 'dev-admin';
const storefrontKey = process.env.STOREFRONT_KEY ?? 'dev-storefront';
// The simulators' admin APIs live at their origins (the SOAP endpoint's /wms path dropped).
const wmsAdmin = new URL(process.env.WMS_URL ?? `http://127.0.0.1:${WMS_PORT}/wms`).origin;
const sapAdmin = new URL(process.env.SAP_URL ?? `http://127.0.0.1:${SAP_PORT}`).origin;

const demo = [
  { sku: 'SNEAKER-42', onHand: 100, limitPerCustomer: 2 },
  { sku: 'CONCERT-A1', onHand: 50, limitPerCustomer: 4 },
  { sku: 'HOODIE-M', onHand: 500, limitPerCustomer: null },
];
const FED_SKU = 'RUNNER-44';
const fedAt = [
  { warehouse: 'soap-1', admin: wmsAdmin, key: process.env.WMS_ADMIN_KEY ?? WMS_ADMIN_KEY, location: 'AMS-1', qty: 12 },
  { warehouse: 'sap-1', admin: sapAdmin, key: process.env.SAP_ADMIN_KEY ?? SAP_ADMIN_KEY, location: 'FRA-1', qty: 20 },
];

async function call(url, key, method, body, headers = {}) {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let failed = false;
for (const { sku, ...stock } of demo) {
  try {
    const body = await call(`${base}/v1/admin/skus/${sku}/stock`, adminKey, 'PUT', stock);
    console.log(`${sku.padEnd(12)} onHand=${body.onHand} available=${body.available} version=${body.version}`);
  } catch (error) {
    failed = true;
    console.error(`${sku}: ${error instanceof Error ? error.message : error} (is \`npm start\` running at ${base}?)`);
  }
}

/** The fed SKU as the edge has it, once each site shows its warehouse's count (the feed follows within seconds). */
async function fedView() {
  for (let i = 0; i < 60; i++) {
    const view = await call(`${base}/v1/skus/${FED_SKU}?consistent=true`, storefrontKey, 'GET').catch(() => null);
    const fed = (site) => view?.locations?.find((l) => l.location === site.location && l.fed?.warehouse === site.warehouse);
    if (fedAt.every(fed)) return view;
    await sleep(1_000);
  }
  throw new Error(`the edge did not show ${FED_SKU} fed at ${fedAt.map((s) => s.location).join(' and ')} within a minute: see \`npm run cli -- warehouses\``);
}

try {
  const before = await call(`${base}/v1/skus/${FED_SKU}?consistent=true`, storefrontKey, 'GET').catch(() => null);
  for (const site of fedAt) {
    // Seeded before: the site is fed already, and what the warehouse received stands.
    if (before?.locations?.some((l) => l.location === site.location && l.fed)) continue;
    // The site first, empty at the edge: the feed moves the stock of a location the SKU has.
    await call(`${base}/v1/admin/skus/${FED_SKU}/stock`, adminKey, 'PUT', { onHand: 0, location: site.location }, { 'idempotency-key': `seed-place-${FED_SKU}-${site.location}` });
    // An opening balance of 0 at the warehouse too (not a document): the simulators stock anything
    // unknown with their default, and a count of 12 against that would feed the edge a loss of it.
    await call(`${site.admin}/admin/stock/${site.location}/${FED_SKU}`, site.key, 'PUT', { physical: 0 });
    const document = `SEED-${FED_SKU}-${site.location}`;
    await call(`${site.admin}/admin/movements`, site.key, 'POST', { type: 'receipt', document, location: site.location, sku: FED_SKU, qty: site.qty });
    console.log(`${FED_SKU.padEnd(12)} received ${site.qty} at ${site.location} through ${site.warehouse}'s admin API (${document})`);
  }
  let view = await fedView();
  // The edge chooses the site of each reservation: reserve until both hold one (the smaller site fills first or last).
  for (let i = 0; i < 20 && !fedAt.every((s) => view.locations.find((l) => l.location === s.location).reserved > 0); i++) {
    await call(`${base}/v1/skus/${FED_SKU}/reservations`, storefrontKey, 'POST', { customerId: `seed-buyer-${i}`, qty: 5, ttlSeconds: 3600 }, { 'idempotency-key': `seed-${FED_SKU}-${i}` });
    view = await call(`${base}/v1/skus/${FED_SKU}?consistent=true`, storefrontKey, 'GET');
  }
  for (const l of view.locations) console.log(`${FED_SKU.padEnd(12)} ${l.location}: onHand=${l.onHand} reserved=${l.reserved} fed by ${l.fed?.warehouse ?? 'hand'}`);
  console.log('the saga allocates each reservation at its site\'s warehouse: npm run cli -- sagas; the dashboard shows both warehouses');
} catch (error) {
  failed = true;
  console.error(`${FED_SKU}: ${error instanceof Error ? error.message : error}`);
}
process.exit(failed ? 1 : 0);
