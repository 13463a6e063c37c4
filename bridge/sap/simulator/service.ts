import { Hono, type Context } from 'hono';
import { edmx, SERVICE_ROOT } from './edmx';
import { entityOf, keysOf, type EntityType, type ServiceModel } from './model';
import { entityJson, odataError, parseKeyPredicate, type Entity, type Row } from './odataJson';
import { applyOptions, readOptions } from './query';

/** How a service reads one entity set: its rows now, their ETags, and the rows behind a navigation. */
export type EntitySetSource = {
  rows(): Promise<Row[]>;
  etag?(row: Row): string;
  navigate?(navigation: string, row: Row): Promise<Row[]>;
  /** Properties `$filter` and `$orderby` may name; default: every property. */
  filterable?: readonly string[];
};

export type ServiceContext = { serviceUrl: string; model: ServiceModel; sources: Record<string, EntitySetSource> };

/** `A_ReservationDocumentHeader('0000000001')` → the set and the key predicate's inside. */
const SEGMENT = /^([A-Za-z_]\w*)(?:\((.*)\))?$/;

export type Addressed = { entity: EntityType; source: EntitySetSource; key?: Record<string, string> };

/** The entity set (and key) a path segment addresses, or an OData error answered. */
export function address(c: Context, ctx: ServiceContext, segment: string): Addressed | Response {
  const [, set = '', predicate] = SEGMENT.exec(segment) ?? [];
  const entity = entityOf(ctx.model, set);
  const source = ctx.sources[set];
  if (!entity || !source) return odataError(c, 404, 'RESOURCE_NOT_FOUND', `Resource not found for segment '${segment}'`);
  if (predicate === undefined) return { entity, source };
  const key = parseKeyPredicate(entity, predicate);
  if (!key) return odataError(c, 400, 'INVALID_KEY', `Invalid key predicate: (${predicate})`);
  return { entity, source, key };
}

export async function findRow({ entity, source, key }: Addressed): Promise<Row | undefined> {
  const keys = keysOf(entity);
  return (await source.rows()).find((row) => keys.every((k) => row[k] === key?.[k]));
}

/** A row as an entity: its `__metadata`, expanded navigations inline, the others deferred. */
export async function toEntity(ctx: ServiceContext, { entity, source }: Omit<Addressed, 'key'>, row: Row, expand: readonly string[]): Promise<Entity> {
  const json = entityJson(ctx.serviceUrl, ctx.model.name, entity, row, source.etag?.(row));
  for (const nav of entity.navigations) {
    if (expand.includes(nav.name) && source.navigate) {
      const target = entityOf(ctx.model, nav.to)!;
      const targetSource = ctx.sources[nav.to]!;
      const rows = await source.navigate(nav.name, row);
      json[nav.name] = { results: await Promise.all(rows.map((r) => toEntity(ctx, { entity: target, source: targetSource }, r, []))) };
    } else {
      json[nav.name] = { __deferred: { uri: `${json.__metadata.uri}/${nav.name}` } };
    }
  }
  return json;
}

/**
 * One OData V2 service, read side: the service document, `$metadata`, collections with query
 * options, single entities (with their ETag header) and navigations. `writes` adds the changes.
 */
export function createODataService(model: ServiceModel, sources: Record<string, EntitySetSource>, writes?: (app: Hono, context: (c: Context) => ServiceContext) => void) {
  // Not strict: `/API_..._SRV/` (as SAP's client fetches a CSRF token) is the service root too.
  const app = new Hono({ strict: false });
  const context = (c: Context): ServiceContext => ({ serviceUrl: `${new URL(c.req.url).origin}${SERVICE_ROOT}/${model.name}`, model, sources });

  app.get('/', (c) => c.json({ d: { EntitySets: model.entities.map((e) => e.set) } }));
  app.get('/$metadata', (c) => c.body(edmx(model, new URL(c.req.url).origin), 200, { 'content-type': 'application/xml', dataserviceversion: '2.0' }));

  const read = async (c: Context, segment: string, navigation?: string) => {
    const ctx = context(c);
    const addressed = address(c, ctx, segment);
    if (addressed instanceof Response) return addressed;
    const { entity, source, key } = addressed;
    if (navigation !== undefined) {
      const nav = entity.navigations.find((n) => n.name === navigation);
      if (!nav || !key || !source.navigate) return odataError(c, 404, 'RESOURCE_NOT_FOUND', `Resource not found for segment '${navigation}'`);
      const row = await findRow(addressed);
      if (!row) return odataError(c, 404, 'RESOURCE_NOT_FOUND', `Resource not found: ${segment}`);
      const target = { entity: entityOf(model, nav.to)!, source: sources[nav.to]! };
      const rows = await source.navigate(navigation, row);
      return c.json({ d: { results: await Promise.all(rows.map((r) => toEntity(ctx, target, r, []))) } });
    }
    const options = readOptions(c.req.query(), source.filterable ?? entity.properties.map((p) => p.name), entity.navigations.map((n) => n.name));
    if (!options.ok) return odataError(c, 400, 'INVALID_QUERY', options.message);
    if (key) {
      const row = await findRow(addressed);
      if (!row) return odataError(c, 404, 'RESOURCE_NOT_FOUND', `Resource not found: ${segment}`);
      const json = await toEntity(ctx, addressed, row, options.value.expand);
      if (json.__metadata.etag) c.header('etag', json.__metadata.etag);
      return c.json({ d: json });
    }
    const { rows, count } = applyOptions(await source.rows(), options.value);
    const results = await Promise.all(rows.map((row) => toEntity(ctx, addressed, row, options.value.expand)));
    return c.json({ d: { ...(options.value.inlineCount ? { __count: String(count) } : {}), results } });
  };

  app.get('/:segment', (c) => read(c, c.req.param('segment')));
  app.get('/:segment/:navigation', (c) => read(c, c.req.param('segment'), c.req.param('navigation')));
  writes?.(app, context);
  app.all('*', (c) => odataError(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not supported on ${c.req.path}`, { allow: 'GET, HEAD' }));
  return app;
}
