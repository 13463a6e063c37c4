// Loads demo stock into a running edge (default: the local `npm start` on 127.0.0.1:8787).
const base = process.env.BASE_URL ?? 'http://127.0.0.1:8787';
const adminKey = process.env.ADMIN_KEY ?? 'dev-admin';

const demo = [
  { sku: 'SNEAKER-42', onHand: 100, limitPerCustomer: 2 },
  { sku: 'CONCERT-A1', onHand: 50, limitPerCustomer: 4 },
  { sku: 'HOODIE-M', onHand: 500, limitPerCustomer: null },
];

let failed = false;
for (const { sku, ...stock } of demo) {
  try {
    const res = await fetch(`${base}/v1/admin/skus/${sku}/stock`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(stock),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
    console.log(`${sku.padEnd(12)} onHand=${body.onHand} available=${body.available} version=${body.version}`);
  } catch (error) {
    failed = true;
    console.error(`${sku}: ${error instanceof Error ? error.message : error} (is \`npm start\` running at ${base}?)`);
  }
}
process.exit(failed ? 1 : 0);
