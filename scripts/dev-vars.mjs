// Writes .dev.vars with the documented local values, adding any a previous version lacked and
// keeping the values someone set by hand, so `npm start` needs no setup.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEV_VARS } from './dev-defaults.mjs';

const path = new URL('../.dev.vars', import.meta.url);

/** The local variables the Worker will see: .dev.vars completed with the defaults. */
export function ensureDevVars() {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const present = new Set([...current.matchAll(/^\s*([A-Z0-9_]+)\s*=/gm)].map((m) => m[1]));
  const missing = Object.entries(DEV_VARS).filter(([name]) => !present.has(name));
  if (missing.length > 0) {
    const lines = missing.map(([name, value]) => `${name}="${value}"`).join('\n');
    writeFileSync(path, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${lines}\n`);
    console.log(`.dev.vars: added ${missing.map(([name]) => name).join(', ')}`);
  }
  const vars = Object.fromEntries([...readFileSync(path, 'utf8').matchAll(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/gm)].map((m) => [m[1], m[2]]));
  return vars;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureDevVars();
