// What the deployed environments must not carry: the regional drill's fault switch (ADR 0022)
// belongs to local and test configuration. wrangler does not inherit top-level [vars] into an
// environment, so each [env.X.vars] is read on its own.

/** Switches that only local and test configuration may turn on. */
export const LOCAL_ONLY_VARS = ['FAULT_INJECTION'];

/** Each deployed environment's local-only var set to anything but "off", as `env.var` strings. */
export function localOnlyVarsIn(toml) {
  const found = [];
  let section = '';
  for (const raw of toml.split('\n')) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const env = /^env\.([^.]+)\.vars$/.exec(section);
    const assignment = /^([A-Z_]+)\s*=\s*"([^"]*)"/.exec(line);
    if (env && assignment && LOCAL_ONLY_VARS.includes(assignment[1]) && assignment[2] !== 'off') found.push(`${env[1]}.${assignment[1]}`);
  }
  return found;
}
