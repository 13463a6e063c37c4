// `npm run build`: the bridge, the warehouse simulators and the admin CLI as plain JavaScript in dist/, so
// production runs them with `node` alone (tsx stays a development tool). Each is one ES module
// bundling this project's TypeScript; packages stay imports of node_modules (`npm ci --omit=dev`).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
// Another directory inside the project may be given (a test builds into .cache); packages are
// then still found in the project's node_modules.
const out = join(root, process.argv[2] ?? 'dist');
rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'bridge/main': 'bridge/main.ts', 'wms/main': 'bridge/wms/main.ts', 'sap/main': 'bridge/sap/main.ts', 'cli/main': 'bridge/cli/main.ts' },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`built ${['bridge', 'wms', 'sap', 'cli'].map((name) => join(out, name, 'main.js').slice(root.length + 1)).join(', ')}`);
