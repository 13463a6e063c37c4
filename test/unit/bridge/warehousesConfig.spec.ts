import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bridge/config';
import { warehouseServing, warehousesOf } from '../../../bridge/warehouses';

const base = { INTERNAL_SECRET: 'a-secret' };
const warehouses = (env: Record<string, string>) => warehousesOf(loadConfig({ ...base, ...env }));

describe('WAREHOUSES: the warehouse systems the bridge follows', () => {
  it('defaults to one SOAP warehouse, soap-1, at WMS_URL, serving WMS_LOCATIONS when set', () => {
    expect(warehouses({})).toEqual([{ id: 'soap-1', kind: 'soap', url: 'http://127.0.0.1:8789/wms' }]);
    expect(warehouses({ WMS_URL: 'http://wms.internal:8789/wms', WMS_LOCATIONS: 'AMS-1, RTM-2' })).toEqual([
      { id: 'soap-1', kind: 'soap', url: 'http://wms.internal:8789/wms', locations: ['AMS-1', 'RTM-2'] },
    ]);
  });

  it('reads a JSON list, with locations, priority and region optional', () => {
    const list = [
      { id: 'soap-1', kind: 'soap', url: 'http://127.0.0.1:8789/wms', locations: ['AMS-1'], priority: 0, region: 'eu-west' },
      { id: 'legacy-us', kind: 'soap', url: 'https://wms.us.example/wms' },
    ];
    expect(warehouses({ WAREHOUSES: JSON.stringify(list), WMS_LOCATIONS: 'IGNORED-1' })).toEqual(list);
  });

  it.each([
    ['not JSON', '[{id:', /WAREHOUSES: not JSON \(.+\): a list like \[\{"id":"soap-1","kind":"soap","url":"http:\/\/127\.0\.0\.1:8789\/wms"\}\]/],
    ['an empty list', '[]', /WAREHOUSES: list at least one warehouse, or unset WAREHOUSES for the default one at WMS_URL/],
    ['an unknown kind', '[{"id":"rest-1","kind":"rest","url":"http://x/"}]', /WAREHOUSES\.0\.kind: kind must be 'soap' or 'odata'/],
    ['a bad URL', '[{"id":"w","kind":"soap","url":"ftp://x"}]', /WAREHOUSES\.0\.url: url must be the http\(s\) URL of the SOAP endpoint/],
    ['a bad id', '[{"id":"no spaces","kind":"soap","url":"http://x/wms"}]', /WAREHOUSES\.0\.id: /],
    ['an unknown field', '[{"id":"w","kind":"soap","url":"http://x/wms","password":"p"}]', /WAREHOUSES\.0: Unrecognized key: "password"/],
    ['a location twice in one warehouse', '[{"id":"w","kind":"soap","url":"http://x/wms","locations":["A","A"]}]', /WAREHOUSES\.0\.locations: each location once/],
    ['an id twice', '[{"id":"w","kind":"soap","url":"http://x/wms"},{"id":"w","kind":"soap","url":"http://y/wms"}]', /WAREHOUSES\.1\.id: warehouse id w is listed twice/],
    [
      'a location served by two warehouses',
      '[{"id":"a","kind":"soap","url":"http://x/wms","locations":["AMS-1"]},{"id":"b","kind":"soap","url":"http://y/wms","locations":["AMS-1"]}]',
      /WAREHOUSES\.1\.locations: location AMS-1 is served by a already: each location has one warehouse/,
    ],
    ['a negative priority', '[{"id":"w","kind":"soap","url":"http://x/wms","priority":-1}]', /WAREHOUSES\.0\.priority: /],
  ])('refuses %s, naming the warehouse and the field', (_, value, message) => {
    expect(() => loadConfig({ ...base, WAREHOUSES: value })).toThrow(message);
  });

  const sap = { id: 'sap-1', kind: 'odata', url: 'http://127.0.0.1:8792', user: 'INVENTORY', password: 'p', plants: { 'FRA-1': { plant: '1010', storageLocation: '0001' } } };
  const odata = (change: Record<string, unknown>) => JSON.stringify([{ ...sap, ...change }]);

  it('reads an SAP (odata) warehouse beside a SOAP one: user, password and each location\'s plant and storage location', () => {
    const list = [{ id: 'soap-1', kind: 'soap', url: 'http://127.0.0.1:8789/wms', locations: ['AMS-1'] }, { ...sap, locations: ['FRA-1'], priority: 2, region: 'eu-central' }];
    expect(warehouses({ WAREHOUSES: JSON.stringify(list) })).toEqual(list);
  });

  it('an odata warehouse without locations serves those of its plants, and only those: the saga never sends it another', () => {
    const list = warehouses({ WAREHOUSES: JSON.stringify([{ id: 'soap-1', kind: 'soap', url: 'http://127.0.0.1:8789/wms' }, sap]) });
    expect(list[1]!.locations).toEqual(['FRA-1']);
    expect(warehouseServing(list, 'FRA-1').id).toBe('sap-1');
    expect(warehouseServing(list, 'AMS-1').id).toBe('soap-1');
    // Its plants' locations count as listed: a soap warehouse listing one of them is refused.
    const twice = JSON.stringify([{ id: 'soap-1', kind: 'soap', url: 'http://127.0.0.1:8789/wms', locations: ['FRA-1'] }, sap]);
    expect(() => loadConfig({ ...base, WAREHOUSES: twice })).toThrow(/WAREHOUSES\.1\.locations: location FRA-1 is served by soap-1 already/);
  });

  it.each([
    ['no user', odata({ user: undefined }), /^ {2}WAREHOUSES\.0\.user: Invalid input: expected string, received undefined$/m],
    ['an empty password', odata({ password: '' }), /^ {2}WAREHOUSES\.0\.password: password must be the SAP user's password$/m],
    ['a URL with a path', odata({ url: 'http://sap.internal:8792/sap/opu/odata/sap/' }), /^ {2}WAREHOUSES\.0\.url: url must be the root of the SAP system without a path: the services are found under \/sap\/opu\/odata\/sap\/$/m],
    ['a URL with credentials', odata({ url: 'http://INVENTORY:secret@sap.internal:8792' }), /^ {2}WAREHOUSES\.0\.url: url must not carry a user or password: give them as user and password$/m],
    ['a URL not http', odata({ url: 'ftp://sap' }), /^ {2}WAREHOUSES\.0\.url: url must be the http\(s\) root of the SAP system, like http:\/\/127\.0\.0\.1:8792$/m],
    ['no plants', odata({ plants: {} }), /^ {2}WAREHOUSES\.0\.plants: map at least one location to its plant and storageLocation$/m],
    ['a plant of 5 characters', odata({ plants: { 'FRA-1': { plant: '10100', storageLocation: '0001' } } }), /^ {2}WAREHOUSES\.0\.plants\.FRA-1\.plant: plant must be 4 letters or digits \(SAP's key length\)$/m],
    ['a plant without its storage location', odata({ plants: { 'FRA-1': { plant: '1010' } } }), /^ {2}WAREHOUSES\.0\.plants\.FRA-1\.storageLocation: /m],
    [
      'two locations on one plant and storage location',
      odata({ plants: { 'FRA-1': { plant: '1010', storageLocation: '0001' }, 'FRA-2': { plant: '1010', storageLocation: '0001' } } }),
      /^ {2}WAREHOUSES\.0\.plants\.FRA-2: plant 1010 storageLocation 0001 is FRA-1's already: each location its own pair$/m,
    ],
    [
      'a location too long for the reference SAP keeps',
      odata({ plants: { 'FRANKFURT-EAST-1': { plant: '1010', storageLocation: '0001' } } }),
      /^ {2}WAREHOUSES\.0\.plants\.FRANKFURT-EAST-1: location FRANKFURT-EAST-1 is longer than 12 characters: a reference res_…@FRANKFURT-EAST-1~n would not fit SAP's ReservationItemText \(50\)$/m,
    ],
    ['a location without a plant', odata({ locations: ['FRA-1', 'MUC-1'] }), /^ {2}WAREHOUSES\.0\.locations: location MUC-1 has no entry in plants: map it to its plant and storageLocation$/m],
    ['an unknown field', odata({ client: '100' }), /^ {2}WAREHOUSES\.0: Unrecognized key: "client"$/m],
  ])('refuses an odata warehouse with %s, naming the field', (_, value, message) => {
    expect(() => loadConfig({ ...base, WAREHOUSES: value })).toThrow(message);
  });

  it('the feed is on, polling every second 100 movements at a time, unless told otherwise', () => {
    expect(loadConfig(base)).toMatchObject({ FEED: 'on', FEED_POLL_MS: 1_000, FEED_PAGE_SIZE: 100 });
    expect(() => loadConfig({ ...base, FEED_PAGE_SIZE: '1001' })).toThrow(/FEED_PAGE_SIZE: /);
  });
});

describe('the warehouse serving a location (where the saga sends its calls)', () => {
  const list = warehouses({
    WAREHOUSES: JSON.stringify([
      { id: 'soap-ams', kind: 'soap', url: 'http://127.0.0.1:1/wms', locations: ['AMS-1'] },
      { id: 'soap-rest', kind: 'soap', url: 'http://127.0.0.1:2/wms' },
      { id: 'soap-fra', kind: 'soap', url: 'http://127.0.0.1:3/wms', locations: ['FRA-2'] },
    ]),
  });
  it('the one listing it; else the first listing none; the default site goes there too', () => {
    expect(warehouseServing(list, 'AMS-1').id).toBe('soap-ams');
    expect(warehouseServing(list, 'FRA-2').id).toBe('soap-fra');
    expect(warehouseServing(list, 'RTM-9').id).toBe('soap-rest');
    expect(warehouseServing(list, undefined).id).toBe('soap-rest');
  });
  it('every warehouse listing its sites: an unlisted one goes to the first', () => {
    const listed = warehouses({ WAREHOUSES: JSON.stringify([{ id: 'a', kind: 'soap', url: 'http://127.0.0.1:1/wms', locations: ['AMS-1'] }, { id: 'b', kind: 'soap', url: 'http://127.0.0.1:2/wms', locations: ['FRA-2'] }]) });
    expect(warehouseServing(listed, 'RTM-9').id).toBe('a');
    expect(warehouseServing(listed, 'FRA-2').id).toBe('b');
  });
});
