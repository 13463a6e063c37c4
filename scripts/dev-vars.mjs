// Writes .dev.vars with the documented local keys unless one exists, so `npm start` needs no setup.
import { existsSync, writeFileSync } from 'node:fs';

const path = new URL('../.dev.vars', import.meta.url);
if (!existsSync(path)) {
  writeFileSync(path, 'STOREFRONT_KEYS="dev-storefront"\nADMIN_KEYS="dev-admin"\n');
  console.log('wrote .dev.vars with the local keys dev-storefront and dev-admin');
}
