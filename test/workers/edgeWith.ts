import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { app } from '../../src/api/app';
import type { Env } from '../../src/env';
import { STOREFRONT } from '../support/api';

type Options = { key?: string | null; body?: unknown; headers?: Record<string, string> };

/**
 * The Worker's app in workerd with some of its bindings or vars replaced, for what the shared
 * test environment cannot vary per test: another admission bound, or an object namespace whose
 * calls fail as the runtime makes them fail. The real objects stay behind every other binding.
 */
export function edgeWith(overrides: Partial<Env>) {
  const patched: Env = { ...env, ...overrides };
  return async (method: string, path: string, { key = STOREFRONT, body, headers = {} }: Options = {}) => {
    const all: Record<string, string> = { ...headers };
    if (key !== null) all.authorization = `Bearer ${key}`;
    if (body !== undefined) all['content-type'] = 'application/json';
    const request = new Request(`https://edge.test${path}`, { method, headers: all, body: body === undefined ? null : JSON.stringify(body) });
    const response = await app.fetch(request, patched, createExecutionContext());
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text)) : null };
  };
}

export type Edge = ReturnType<typeof edgeWith>;
