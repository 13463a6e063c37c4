import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attemptTimeoutMs,
  failoverOrder,
  FAILOVER_ATTEMPT_MS,
  parseBridgeUrls,
  PUSH_BUDGET_MS,
  replicaUnavailable,
  ReplicaChoice,
  startingReplica,
} from '../../../durable-objects/relay/replicas';

const HINT = "Give the bridge replicas' http(s) origins, comma-separated (e.g. https://bridge-1.example.com,https://bridge-2.example.com)";
/** Durable Object ids are 64 hex digits. */
const objectId = (i: number) => createHash('sha256').update(`object-${i}`).digest('hex');

describe('BRIDGE_URL: one URL or a comma-separated list', () => {
  it.each([
    ['http://127.0.0.1:8788', ['http://127.0.0.1:8788']],
    ['http://127.0.0.1:8788/', ['http://127.0.0.1:8788']],
    [' https://bridge-1.example.com , https://bridge-2.example.com:8443,', ['https://bridge-1.example.com', 'https://bridge-2.example.com:8443']],
    ['HTTPS://Bridge.Example.com:443', ['https://bridge.example.com']],
    ['http://localhost:8788,http://[::1]:8789', ['http://localhost:8788', 'http://[::1]:8789']],
    ['', []],
  ])('%j → %j', (value, urls) => {
    expect(parseBridgeUrls(value)).toEqual({ ok: true, urls });
  });

  it.each([
    ['ftp://bridge.example.com', 'entry 1 ("ftp://bridge.example.com") is not an http(s) URL'],
    ['https://a.example.com,127.0.0.1:8788', 'entry 2 ("127.0.0.1:8788") is not a URL'],
    ['http://bridge.example.com', 'entry 1 ("http://bridge.example.com") is plain http to another machine; use https (http is for localhost only)'],
    ['http://10.0.0.7:8788', 'entry 1 ("http://10.0.0.7:8788") is plain http to another machine; use https (http is for localhost only)'],
    ['https://a.example.com/bridge', 'entry 1 ("https://a.example.com/bridge") has a path, query or fragment; give the origin only (https://a.example.com)'],
    ['https://a.example.com?x=1', 'entry 1 ("https://a.example.com?x=1") has a path, query or fragment; give the origin only (https://a.example.com)'],
    ['https://ops:hunter2@a.example.com', 'entry 1 carries a user name or password; pushes are signed with INTERNAL_SECRET instead'],
    ['https://a.example.com, https://a.example.com/', 'entry 2 (https://a.example.com) is listed twice'],
    ['bridge-1 ,https://b.example.com, mailto:x@y', 'entry 1 ("bridge-1") is not a URL; entry 3 ("mailto:x@y") is not an http(s) URL'],
  ])('%j is refused, naming the entry and the fix', (value, problems) => {
    expect(parseBridgeUrls(value)).toEqual({ ok: false, error: `BRIDGE_URL is invalid: ${problems}. ${HINT}` });
  });

  it('never repeats a password it refuses', () => {
    const parsed = parseBridgeUrls('https://ops:hunter2@a.example.com');
    expect(!parsed.ok && parsed.error).not.toContain('hunter2');
  });
});

describe('replica order', () => {
  it('every replica once, starting at the first given, wrapping around', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }).chain((count) => fc.tuple(fc.constant(count), fc.integer({ min: 0, max: count - 1 }))), ([count, first]) => {
        const order = failoverOrder(first, count);
        expect(order[0]).toBe(first);
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
        order.forEach((index, i) => i > 0 && expect(index).toBe((order[i - 1]! + 1) % count));
      }),
    );
  });

  it('an object starts at the replica its id hashes to: stable, and spread evenly over many objects', () => {
    expect(startingReplica(objectId(1), 3)).toBe(startingReplica(objectId(1), 3));
    expect(startingReplica(objectId(1), 1)).toBe(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[startingReplica(objectId(i), 3)]!++;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('stays with the replica that last acknowledged, and tries the others after it in order', () => {
    const urls = ['http://a', 'http://b', 'http://c'];
    const choice = new ReplicaChoice(urls, objectId(7));
    const first = startingReplica(objectId(7), 3);
    expect(choice.order()).toEqual(failoverOrder(first, 3));
    choice.acknowledged((first + 2) % 3);
    expect(choice.order()).toEqual([(first + 2) % 3, first, (first + 1) % 3]);
  });
});

describe('which answers mean "try another replica"', () => {
  it.each([
    [500, true], [502, true], [503, true], [504, true], [408, true], [429, true],
    [400, false], [401, false], [404, false], [409, false], [413, false],
  ])('%i → %s', (status, unavailable) => {
    expect(replicaUnavailable(status)).toBe(unavailable);
  });
});

describe('time per attempt', () => {
  it('one replica gets the whole budget; with others left an attempt is capped', () => {
    expect(attemptTimeoutMs(0, false)).toBe(PUSH_BUDGET_MS);
    expect(attemptTimeoutMs(0, true)).toBe(FAILOVER_ATTEMPT_MS);
    expect(attemptTimeoutMs(9_600, true)).toBe(null);
  });

  it('replicas that all hang: the attempts together never exceed the budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (count) => {
        let elapsed = 0;
        const timeouts: number[] = [];
        for (let n = 0; n < count; n++) {
          const timeout = attemptTimeoutMs(elapsed, n < count - 1);
          if (timeout === null) break;
          timeouts.push(timeout);
          elapsed += timeout;
        }
        expect(elapsed).toBeLessThanOrEqual(PUSH_BUDGET_MS);
        expect(timeouts.length).toBeGreaterThanOrEqual(Math.min(count, 3));
      }),
    );
    expect([0, 1, 2].reduce<number[]>((ts, n) => [...ts, attemptTimeoutMs(ts.reduce((a, b) => a + b, 0), n < 2)!], [])).toEqual([4_000, 4_000, 2_000]);
  });
});
