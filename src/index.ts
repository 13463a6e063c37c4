import { app } from './api/app';
import type { Env } from './env';

export { Generations } from '../durable-objects/Generations';
export { Sku } from '../durable-objects/Sku';

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
