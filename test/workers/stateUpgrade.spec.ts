import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { loadState } from '../../durable-objects/sku/eventLog';
import { initialSkuState, NO_POLICY, skuCounters } from '../../src/domain/sku';
import { uniqueSku } from '../support/api';

/** A SKU object whose stored counters row predates fields added since (the sale policy, expiredUnits): it reads with their defaults. */
describe('a stored state written before a field existed', () => {
  it('reads with the field\'s default, so reserves and counters work on objects created before the change', async () => {
    const sku = uniqueSku('old-state');
    await runInDurableObject(env.SKU.getByName(sku) as unknown as DurableObjectStub, async (_: unknown, state) => {
      const { policy: _policy, expiredUnits: _expired, ...old } = { ...initialSkuState(), sku, version: 1, onHand: 5, lastEventAt: new Date().toISOString() };
      state.storage.sql.exec('INSERT OR REPLACE INTO sku_state (id, data) VALUES (1, ?)', JSON.stringify(old));
      const loaded = loadState(state.storage.sql, sku, (work) => state.storage.transactionSync(work));
      expect(loaded.policy).toEqual(NO_POLICY);
      expect(loaded.expiredUnits).toBe(0);
      expect(skuCounters(loaded)).toMatchObject({ sku, onHand: 5, available: 5 });
      expect(skuCounters(loaded)).not.toHaveProperty('policy');
    });
  });
});
