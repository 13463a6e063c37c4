import { BENCH_ADMIN_KEY, BENCH_STOREFRONT_KEY, edgeCall, startEdge } from './lib/edge';
import { runLoad } from './lib/load';
const max = process.env.MAX ?? '64';
const conns = Number(process.env.CONNS ?? 100);
const edge = await startEdge({ RESERVE_BATCH_MAX: max }, { handleStructuredLogs: (l: any) => { if (l.level === 'error' || l.level === 'warn' || /error|hung|cancel/i.test(JSON.stringify(l))) console.error('LOG', JSON.stringify(l).slice(0, 400)); } } as any);
await edgeCall(edge.url, 'PUT', '/v1/admin/skus/probe/stock', BENCH_ADMIN_KEY, { onHand: 100000000 });
const r = await runLoad({ url: edge.url, method: 'POST', path: '/v1/skus/probe/reservations', headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ customerId: 'bench-buyer', qty: 1 }), connections: conns, seconds: 8 });
console.log(JSON.stringify(r));
await edge.close();
