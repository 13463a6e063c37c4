import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { startWorker } from './support/worker';

let worker: Awaited<ReturnType<typeof startWorker>>;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  worker = await startWorker({});
});

afterAll(async () => {
  await browser?.close();
  await worker?.close();
});

describe('the API reference at /docs', () => {
  it('renders every operation of the served OpenAPI document, loading nothing from another origin', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(worker.url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${worker.url}/docs`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${worker.url}/docs/`);
    await page.waitForSelector('.opblock');
    const doc = (await (await fetch(`${worker.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operationIds = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(await page.locator('.opblock').count()).toBe(operationIds.length);
    expect(await page.textContent('.info .title')).toContain('Flash-sale inventory');
    for (const id of operationIds) expect(await page.locator('.opblock-summary-operation-id', { hasText: new RegExp(`^${id}$`) }).count(), id).toBe(1);
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
