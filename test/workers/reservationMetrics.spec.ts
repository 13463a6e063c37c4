import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { createSku, reserve, uniqueSku } from '../support/api';

type Point = { indexes?: unknown[]; blobs?: unknown[]; doubles?: number[] };
const dataset = env.RESERVATION_METRICS;
const write = dataset.writeDataPoint.bind(dataset);
afterEach(() => {
  dataset.writeDataPoint = write;
});

/** The points the Worker writes to the real Analytics Engine binding, watched as they go through. */
function watchPoints(): Point[] {
  const points: Point[] = [];
  dataset.writeDataPoint = (point?: AnalyticsEngineDataPoint) => {
    points.push(point as Point);
    write(point);
  };
  return points;
}

describe('reserve answers counted in Workers Analytics Engine', () => {
  it('one point per answer: the SKU as index, the outcome code and who answered, the units', async () => {
    const sku = uniqueSku('ae');
    await createSku(sku, 3, 2);
    const points = watchPoints();
    expect((await reserve(sku, { customerId: 'a', qty: 2 }, 'k1')).status).toBe(201);
    expect((await reserve(sku, { customerId: 'a', qty: 1 }, 'k2')).status).toBe(409);
    expect((await reserve(sku, { customerId: 'b', qty: 2 }, 'k3')).status).toBe(409);
    expect((await reserve(sku, { customerId: 'c', qty: 0 }, 'k4')).status).toBe(400);
    expect(points).toEqual([
      { indexes: [sku], blobs: [sku, 'reserved', 'object'], doubles: [1, 2] },
      { indexes: [sku], blobs: [sku, 'customer_limit', 'object'], doubles: [1, 1] },
      { indexes: [sku], blobs: [sku, 'insufficient_stock', 'object'], doubles: [1, 2] },
    ]);
  });
});
