import type { Answer, Command, Reply, ReserveRequest } from './protocol';
import type { ReadModel } from './readModel';
import type { World } from './world';

/*
 * What the protocols between shards (borrowing: borrow.ts; the undrain gate: gate.ts) see of a
 * shard and of its SKU's ledger. `Shard` and `Sku` implement these; the protocols reach the other
 * protocol through the shard (`shard.gain`, `shard.ensureWalk`), so no module imports back.
 */

/** Units a shard has in hand for this decision only (a transfer just received), spent first. */
export type InHand = { units: number };

/** A buyer's reservation waiting at its shard for units borrowed from siblings. */
export type Parked = { readonly request: ReserveRequest; readonly reply: Reply };

/** An undrain round in progress: how many subscribers have not acknowledged yet. */
export type Round = { awaiting: number };

/** Units one sibling gave to a walk. */
export type Donation = { readonly donor: ShardState; readonly units: number };

/** A shard asking its siblings, up to `walkFanout` at once, for the units its waiting buyers lack. */
export type Walk = {
  readonly incarnation: number;
  readonly deficit: number;
  readonly order: readonly ShardState[];
  next: number;
  readonly bag: Donation[];
  bagUnits: number;
  /** A sibling could not be reached: the walk cannot tell that the SKU is empty. */
  unreachable: boolean;
  /** Transfer requests out and not yet answered. */
  inFlight: number;
  /** The walk has what it needed, or asked everyone: later answers are taken in apart. */
  done: boolean;
  /** Siblings asked (failover asks a lost region's shards out of order, at once). */
  readonly asked: Set<ShardState>;
};

/** The SKU's totals and the ledger the model checks its shards against. */
export interface SkuLedger {
  readonly view: ReadModel;
  readonly limitPerCustomer: number;
  readonly available: number;
  sellable: number;
  pending: number;
  inTransit: number;
  reservedUnits(qty: number): void;
  completedUnits(qty: number): void;
  releasedUnits(qty: number): void;
  refused(qty: number, inHand: number): void;
  /** A grant to `customer`: the ledger checks the per-customer limit across shards. */
  granted(customer: number): void;
}

export interface ShardState {
  readonly world: World;
  readonly sku: SkuLedger;
  readonly index: number;
  /** Its location (its region, when regions are modelled). */
  readonly location: number;
  readonly alive: boolean;
  readonly incarnation: number;
  readonly latched: boolean;
  /** May refuse (latched, or with failover every sibling not known empty held dead). */
  readonly refusable: boolean;
  sellable: number;
  pending: number;
  announcements: number;
  readonly subscribers: Map<ShardState, number>;
  readonly siblings: readonly ShardState[];
  unconfirmed: Set<ShardState>;
  readonly heard: Map<ShardState, number>;
  readonly hints: Map<ShardState, number>;
  /** When each hint was true (hints.ts). */
  readonly hintsAsOf: Map<ShardState, number>;
  walk: Walk | null;
  parked: Parked[];
  round: Round | null;
  enqueueUrgent(command: Command): void;
  decide(request: ReserveRequest, inHand: InHand, mayRefuse: boolean): Answer | null;
  subscribe(sibling: ShardState): void;
  isSuspect(sibling: ShardState): boolean;
  suspect(sibling: ShardState): void;
  /** A sibling said it is back (failover): its breaker closes. */
  trust(sibling: ShardState): void;
  /** Units coming back (gate.ts). */
  gain(units: number): void;
  /** Borrow for the parked buyers if they lack units (borrow.ts). */
  ensureWalk(): void;
  /** Decide the parked buyers now (borrow.ts). */
  settleParked(inHand: InHand, siblingUnreachable: boolean): void;
}
