// `npm run deploy:check`: builds the production Worker as `wrangler deploy --env production` would,
// without uploading it, and reports the bundle's size. Fails when the build fails or the
// compressed bundle passes the budget (Cloudflare refuses Workers over 3 MiB compressed on the
// free plan, 10 MiB paid; a start-up that parses megabytes of script is slow on every cold isolate).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localOnlyVarsIn } from './productionVars.mjs';

const BUDGET_GZIP_KIB = 512;
const localOnly = localOnlyVarsIn(readFileSync(new URL('../wrangler.toml', import.meta.url), 'utf8'));
if (localOnly.length > 0) {
  console.error(`a deployed environment turns on what only local and test configuration may: ${localOnly.join(', ')}`);
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), 'deploy-check-'));
try {
  const output = execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--env', 'production', '--outdir', out], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (!size) throw new Error(`no bundle size in wrangler's output:\n${output}`);
  const [raw, gzip] = [Number(size[1]), Number(size[2])];
  console.log(`production bundle: ${raw} KiB, ${gzip} KiB compressed (budget ${BUDGET_GZIP_KIB} KiB compressed)`);
  if (gzip > BUDGET_GZIP_KIB) {
    console.error(`the production bundle passed its budget: ${gzip} > ${BUDGET_GZIP_KIB} KiB compressed`);
    process.exitCode = 1;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
