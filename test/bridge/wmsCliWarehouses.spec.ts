import { describe, expect, it } from 'vitest';
import { runCli } from '../e2e/support/cli';
import { ADMIN_KEY as SAP_ADMIN_KEY, PASSWORD, PLANTS, USER, useSapSimulators } from './sap/support/sapSimulator';
import { ADMIN_KEY as WMS_ADMIN_KEY, useWmsSimulators } from './support/wmsSimulator';

/**
 * `inventory wms --warehouse <id>`, the real binary against both simulators: the one behind a
 * soap warehouse of WAREHOUSES is the WMS simulator, behind an odata one the SAP simulator.
 */
const wmsSims = useWmsSimulators();
const sapSims = useSapSimulators();

async function twoWarehouses() {
  const { simulator: wms } = await wmsSims.start({ locations: ['AMS-1'] });
  const sap = await sapSims.start();
  const WAREHOUSES = JSON.stringify([
    { id: 'soap-1', kind: 'soap', url: wms.soapUrl, locations: ['AMS-1'] },
    { id: 'sap-1', kind: 'odata', url: sap.url, user: USER, password: PASSWORD, plants: PLANTS },
  ]);
  const cli = (...args: string[]) => runCli(args, { WAREHOUSES, WMS_ADMIN_KEY, SAP_ADMIN_KEY });
  return { sap, cli };
}

describe('inventory wms --warehouse', () => {
  it("an odata warehouse: the SAP simulator's faults (its throttling too), outage and stock per location", async () => {
    const { sap, cli } = await twoWarehouses();
    const set = await cli('--json', 'wms', '--warehouse', 'sap-1', 'faults', 'set', '--throttle-rate', '0.25', '--retry-after-s', '9', '--fault-rate', '0.5');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ throttleRate: 0.25, retryAfterSeconds: 9, faultRate: 0.5 });
    // The simulator itself says so, and the table shows SAP's own knobs.
    expect(await fetch(`${sap.url}/admin/faults`, { headers: { authorization: `Bearer ${SAP_ADMIN_KEY}` } }).then((r) => r.json())).toMatchObject({ throttleRate: 0.25, faultRate: 0.5 });
    expect((await cli('wms', '--warehouse', 'sap-1', 'faults')).stdout).toMatch(/^throttle rate +0\.25$/m);

    const stocked = await cli('--json', 'wms', '--warehouse', 'sap-1', 'stock', 'SKU-S', '7', '--location', 'BER-2');
    expect(stocked.code, stocked.stderr).toBe(0);
    expect(JSON.parse(stocked.stdout)).toMatchObject({ location: 'BER-2', sku: 'SKU-S', physical: 7 });
    expect((await cli('wms', '--warehouse', 'sap-1', 'stock')).stdout).toMatch(/^BER-2 +SKU-S +7 +0 +0$/m);
    // Stock is per location there: a SKU alone is refused before anything is sent.
    const unplaced = await cli('wms', '--warehouse', 'sap-1', 'stock', 'SKU-S', '3');
    expect(unplaced.code).toBe(2);
    expect(unplaced.stderr).toMatch(/sap-1 keeps stock per location: give --location/);

    const outage = await cli('--json', 'wms', '--warehouse', 'sap-1', 'outage', '30');
    expect(outage.code, outage.stderr).toBe(0);
    const services = await fetch(`${sap.url}/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV/$metadata`);
    expect(services.status).toBe(503);
  });

  it('a soap warehouse: the WMS simulator as before; SAP-only knobs and unknown warehouses are refused (exit 2)', async () => {
    const { cli } = await twoWarehouses();
    const set = await cli('--json', 'wms', '--warehouse', 'soap-1', 'faults', 'set', '--timeout-rate', '0.1');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ timeoutRate: 0.1 });
    expect(JSON.parse(set.stdout)).not.toHaveProperty('throttleRate');
    const sapKnob = await cli('wms', '--warehouse', 'soap-1', 'faults', 'set', '--lost-rate', '0.1');
    expect([sapKnob.code, sapKnob.stderr]).toEqual([2, expect.stringMatching(/lostRate: SAP simulator faults; soap-1 is a soap warehouse/)]);
    const unknown = await cli('wms', '--warehouse', 'sap-9', 'faults');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/no warehouse sap-9 \(configured: soap-1, sap-1\)/)]);
  });
});
