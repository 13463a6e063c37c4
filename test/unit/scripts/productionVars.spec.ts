import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { localOnlyVarsIn } from '../../../scripts/productionVars.mjs';

describe('deploy:check: local-only switches stay out of deployed environments', () => {
  it('finds the fault switch turned on in an environment, not at the top level (local) nor when off', () => {
    const toml = [
      '[vars]', 'FAULT_INJECTION = "on"',
      '[env.staging.vars]', 'FAULT_INJECTION = "off"', 'SHARD_REGIONS = "enam"',
      '[env.production.vars]', 'FAULT_INJECTION = "on"',
    ].join('\n');
    expect(localOnlyVarsIn(toml)).toEqual(['production.FAULT_INJECTION']);
  });

  it('the project\'s own wrangler.toml passes', () => {
    const toml = readFileSync(new URL('../../../wrangler.toml', import.meta.url), 'utf8');
    expect(toml).toMatch(/^FAULT_INJECTION = "on"$/m);
    expect(localOnlyVarsIn(toml)).toEqual([]);
  });
});
