import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { DASHBOARD_HTML } from './html';

/** uPlot from the installed package (no CDN: the page works on a closed network), read once. */
function asset(path: string): () => string {
  let text: string | null = null;
  return () => (text ??= readFileSync(createRequire(import.meta.url).resolve(path), 'utf8'));
}
const uplotScript = asset('uplot/dist/uPlot.iife.min.js');
const uplotStyle = asset('uplot/dist/uPlot.min.css');

/**
 * `GET /dashboard`: the live operator's page. It holds no data itself: the admin key, typed once
 * into its form and kept in the tab's sessionStorage, authorises its polls of `/admin/dashboard`.
 */
export function dashboardPage() {
  const app = new Hono();
  const cached = { 'cache-control': 'public, max-age=3600' };
  app.get('/', (c) => c.html(DASHBOARD_HTML, 200, { 'cache-control': 'no-store', 'content-security-policy': CSP }));
  app.get('/uplot.js', (c) => c.body(uplotScript(), 200, { 'content-type': 'text/javascript; charset=utf-8', ...cached }));
  app.get('/uplot.css', (c) => c.body(uplotStyle(), 200, { 'content-type': 'text/css; charset=utf-8', ...cached }));
  return app;
}

/** Only this origin's scripts and calls: a key typed into the page can only go back to the bridge. */
const CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'";
