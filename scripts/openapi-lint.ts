// `npm run lint:openapi`: the OpenAPI document exactly as the Worker serves it (the production
// bundle in workerd), linted by Redocly's recommended ruleset (redocly.yaml): any error or
// warning fails. The document is kept in .cache/openapi.json for a look.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEdge } from '../bench/lib/edge';

const root = join(import.meta.dirname, '..');
const out = join(root, '.cache', 'openapi.json');
const edge = await startEdge();
try {
  const response = await fetch(`${edge.url}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  mkdirSync(join(root, '.cache'), { recursive: true });
  writeFileSync(out, JSON.stringify(await response.json(), null, 2));
} finally {
  await edge.close();
}
const lint = spawnSync(join(root, 'node_modules', '.bin', 'redocly'), ['lint', out, '--max-problems', '100'], { cwd: root, stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
process.exit(lint.status ?? 1);
