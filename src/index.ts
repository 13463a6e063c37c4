import { app } from './api/app';
import type { Env } from './env';

export { Checkout } from '../durable-objects/Checkout';
export { Generations } from '../durable-objects/Generations';
export { Sku } from '../durable-objects/Sku';

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
