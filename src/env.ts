/**
 * Bindings, vars and secrets of the edge Worker, as `wrangler types` generates them from
 * wrangler.toml into worker-configuration.d.ts (`npm run cf-typegen`; the type check fails when
 * that file is stale). Vars are strings; a secret left empty (a test without a bridge) reads "".
 */
export type Env = Cloudflare.Env;

/** The SKU object (or shard) that owns a stream: `streamOf` and `src/contract/routing.ts` say which. */
export const stub = (env: Env, stream: string) => env.SKU.getByName(stream);

/**
 * The same, placed in `region` if this call creates it (a location hint counts only then; issue
 * 25): only the stock changes that create a sharded SKU's shards need it.
 */
export const placedStub = (env: Env, stream: string, region: DurableObjectLocationHint | undefined) =>
  region === undefined ? stub(env, stream) : env.SKU.getByName(stream, { locationHint: region });
