// The API reference's Swagger UI files, copied from the swagger-ui-dist package into the Worker's
// static assets (public/docs), so /docs is served from the project's own dependencies. wrangler
// runs this before every dev, deploy and dry run ([build] in wrangler.toml).
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const out = join(import.meta.dirname, '..', 'public', 'docs');
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) copyFileSync(join(dist, file), join(out, file));
