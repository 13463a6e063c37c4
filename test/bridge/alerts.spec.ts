import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { TOPICS } from '../../bridge/eventLog/topics';
import { createEdgeClient } from '../../bridge/edge/client';
import { createOperatorApp } from '../../bridge/http/adminApp';
import { createBridgeApp } from '../../bridge/http/app';
import { createMetrics } from '../../bridge/metrics';
import { SAGA_PHASES } from '../../src/domain/allocation';

type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

let dir: string;
let log: EmbeddedEventLog;
let rules: Rule[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-alerts-'));
  log = new EmbeddedEventLog(join(dir, 'log'));
  await log.ensureTopics(TOPICS);
  const file = parse(await readFile(join(import.meta.dirname, '..', '..', 'deploy', 'prometheus-alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  rules = file.groups.flatMap((g) => g.rules);
});
afterAll(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

/** Metric names an expression reads, and the label matchers it puts on them. */
function selectors(expr: string) {
  return [...expr.matchAll(/\b(bridge_[a-z_]+)(?:\{([^}]*)\})?/g)].map(([, name, matchers]) => ({
    name: name!,
    matchers: [...(matchers ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, label, value]) => ({ label: label!, value: value! })),
  }));
}

describe('the Prometheus alert rules read what the bridge exports', () => {
  it('covers relay lag, stuck sagas, dead letters, held causal events and the 503 rate, each with a summary', () => {
    const read = new Set(rules.flatMap((r) => selectors(r.expr).map((s) => s.name)));
    for (const name of ['bridge_relay_lag_seconds', 'bridge_sagas', 'bridge_dead_letters', 'bridge_causal_held_oldest_seconds', 'bridge_http_responses_total']) expect(read).toContain(name);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|ticket)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    // Invariant no-sale-undone-by-our-outage: completed purchases the WMS has not answered past the deadline are seen, not released.
    expect(rules.flatMap((r) => selectors(r.expr))).toContainEqual({ name: 'bridge_sagas', matchers: [{ label: 'phase', value: 'overdue' }] });
  });

  it('every metric and label an expression names is exported by a running bridge, with the label values it matches', async () => {
    const metrics = createMetrics();
    metrics.sources.sagas = () => ({ allocating: 1, overdue: 4, stuck: 2 });
    metrics.sources.deadLetters = async () => 3;
    metrics.sources.hoarding = async () => [{ sku: 'DROP-1', topHolderShare: 0.4, expiredUnboughtRatio: 0.75 }];
    metrics.sources.archive = () => ({ pendingEvents: 12, oldestPendingAt: Date.now() - 30_000 });
    const app = createBridgeApp({ log, secrets: ['s'], metrics, logger: pino({ level: 'silent' }) });
    // An unsigned push: answered (401), and counted under its route pattern.
    expect((await app.request('/ingest', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const exported = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, m]));
    for (const rule of rules) {
      for (const { name, matchers } of selectors(rule.expr)) {
        const metric = exported.get(name);
        expect(metric, `${rule.alert}: ${name}`).toBeDefined();
        for (const { label, value } of matchers) {
          const values = metric!.values.map((v) => v.labels[label]);
          // A label value the bridge has not produced yet must at least be one it can produce.
          const possible = label === 'phase' ? (SAGA_PHASES as readonly string[]) : label === 'status' ? ['503'] : values;
          expect(possible, `${rule.alert}: ${name}{${label}="${value}"}`).toContain(value);
        }
      }
    }
    const responses = exported.get('bridge_http_responses_total')!.values;
    expect(responses).toContainEqual(expect.objectContaining({ labels: { route: '/ingest', status: '401' }, value: 1 }));
    expect(exported.get('bridge_sagas')!.values).toContainEqual(expect.objectContaining({ labels: { phase: 'stuck' }, value: 2 }));
    expect(exported.get('bridge_sagas')!.values).toContainEqual(expect.objectContaining({ labels: { phase: 'overdue' }, value: 4 }));
    expect(exported.get('bridge_dead_letters')!.values[0]!.value).toBe(3);
    expect(exported.get('bridge_archive_pending_events')!.values[0]!.value).toBe(12);
    expect(exported.get('bridge_archive_oldest_pending_seconds')!.values[0]!.value).toBeGreaterThanOrEqual(30);
    expect(exported.get('bridge_sku_hoarding')!.values).toEqual(expect.arrayContaining([
      expect.objectContaining({ labels: { sku: 'DROP-1', signal: 'top_holder_share' }, value: 0.4 }),
      expect.objectContaining({ labels: { sku: 'DROP-1', signal: 'expired_unbought_ratio' }, value: 0.75 }),
    ]));
  });

  it('Prometheus scrapes the admin listener: its /metrics serves every rule\'s metric, the public one has none', async () => {
    const metrics = createMetrics();
    const logger = pino({ level: 'silent' });
    const admin = { edge: createEdgeClient('http://127.0.0.1:9', 's'), adminKeys: [], sagas: () => null, sagaGroup: { members: async () => [], self: () => null }, orders: () => null, wmsHealth: async () => ({ ok: true, detail: '' }) };
    const operator = createOperatorApp({ log, metrics, logger, admin });
    const scrape = await operator.request('/metrics');
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    for (const rule of rules) for (const { name } of selectors(rule.expr)) expect(text, `${rule.alert}: ${name}`).toContain(`# TYPE ${name} `);
    expect((await createBridgeApp({ log, secrets: ['s'], metrics, logger }).request('/metrics')).status).toBe(404);
  });
});
