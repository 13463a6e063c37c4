import { Redis } from 'ioredis';
import pg from 'pg';

/** What each baseline must do for one reservation: take `qty` units if that many are left, else refuse. */
export type Store = {
  setStock(sku: string, onHand: number): Promise<void>;
  reserve(sku: string, reservationId: string, customerId: string, qty: number): Promise<'reserved' | 'insufficient'>;
  /** Units reserved and units on hand, to count oversold units after a run. */
  counters(sku: string): Promise<{ onHand: number; reserved: number }>;
  close(): Promise<void>;
};

export type Durability = 'fsync' | 'async';
export const BASELINES = ['redis-lua', 'pg-update', 'pg-for-update', 'pg-optimistic'] as const;
export type Baseline = (typeof BASELINES)[number];

/** Check-and-decrement and the reservation record, atomically, in the server (the classic Redis design). */
const RESERVE_LUA = `
local onHand = tonumber(redis.call('HGET', KEYS[1], 'onHand') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local qty = tonumber(ARGV[1])
if onHand - reserved < qty then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', qty)
redis.call('HSET', KEYS[2], 'customer', ARGV[2], 'qty', qty)
return 1`;

function redisStore(): Store {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, enableAutoPipelining: false });
  return {
    setStock: async (sku, onHand) => void (await redis.hset(`stock:${sku}`, 'onHand', onHand, 'reserved', 0)),
    reserve: async (sku, id, customer, qty) =>
      (await redis.eval(RESERVE_LUA, 2, `stock:${sku}`, `reservation:${id}`, qty, customer)) === 1 ? 'reserved' : 'insufficient',
    counters: async (sku) => {
      const [onHand, reserved] = await redis.hmget(`stock:${sku}`, 'onHand', 'reserved');
      return { onHand: Number(onHand), reserved: Number(reserved) };
    },
    close: async () => void redis.disconnect(),
  };
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS bench_stock (sku text PRIMARY KEY, on_hand int NOT NULL, reserved int NOT NULL, version int NOT NULL);
  CREATE TABLE IF NOT EXISTS bench_reservations (id text PRIMARY KEY, sku text NOT NULL, customer text NOT NULL, qty int NOT NULL, at timestamptz NOT NULL DEFAULT now());
`;

/** PostgreSQL, three classic ways; every one also inserts the reservation row in the same transaction. */
function pgStore(kind: Exclude<Baseline, 'redis-lua'>, durability: Durability): Store {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    user: 'postgres',
    database: 'postgres',
    max: 32,
    options: `-c synchronous_commit=${durability === 'fsync' ? 'on' : 'off'}`,
  });
  const ready = pool.query(SCHEMA);
  const insert = 'INSERT INTO bench_reservations (id, sku, customer, qty) VALUES ($1, $2, $3, $4)';
  const inTransaction = async <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  const reserve: Record<typeof kind, Store['reserve']> = {
    // One statement: the row lock is held only for the update.
    'pg-update': async (sku, id, customer, qty) => {
      const { rowCount } = await pool.query(
        `WITH taken AS (UPDATE bench_stock SET reserved = reserved + $4, version = version + 1
                        WHERE sku = $2 AND on_hand - reserved >= $4 RETURNING sku)
         INSERT INTO bench_reservations (id, sku, customer, qty) SELECT $1, sku, $3, $4 FROM taken`,
        [id, sku, customer, qty],
      );
      return rowCount === 1 ? 'reserved' : 'insufficient';
    },
    // Pessimistic: read under a row lock, decide in the application, write, commit.
    'pg-for-update': (sku, id, customer, qty) =>
      inTransaction(async (c) => {
        const { rows } = await c.query('SELECT on_hand, reserved FROM bench_stock WHERE sku = $1 FOR UPDATE', [sku]);
        if (!rows[0] || rows[0].on_hand - rows[0].reserved < qty) return 'insufficient';
        await c.query('UPDATE bench_stock SET reserved = reserved + $2, version = version + 1 WHERE sku = $1', [sku, qty]);
        await c.query(insert, [id, sku, customer, qty]);
        return 'reserved';
      }),
    // Optimistic: read without a lock, write only if the version did not move, retry if it did.
    'pg-optimistic': async (sku, id, customer, qty) => {
      for (;;) {
        const { rows } = await pool.query('SELECT on_hand, reserved, version FROM bench_stock WHERE sku = $1', [sku]);
        if (!rows[0] || rows[0].on_hand - rows[0].reserved < qty) return 'insufficient';
        const won = await inTransaction(async (c) => {
          const { rowCount } = await c.query('UPDATE bench_stock SET reserved = reserved + $2, version = version + 1 WHERE sku = $1 AND version = $3', [sku, qty, rows[0].version]);
          if (rowCount === 1) await c.query(insert, [id, sku, customer, qty]);
          return rowCount === 1;
        });
        if (won) return 'reserved';
      }
    },
  };
  return {
    setStock: async (sku, onHand) => {
      await ready;
      await pool.query(
        'INSERT INTO bench_stock VALUES ($1, $2, 0, 0) ON CONFLICT (sku) DO UPDATE SET on_hand = $2, reserved = 0, version = 0',
        [sku, onHand],
      );
    },
    reserve: reserve[kind],
    counters: async (sku) => {
      const { rows } = await pool.query('SELECT on_hand, reserved FROM bench_stock WHERE sku = $1', [sku]);
      return { onHand: rows[0].on_hand, reserved: rows[0].reserved };
    },
    close: () => pool.end(),
  };
}

export const openStore = (kind: Baseline, durability: Durability): Store => (kind === 'redis-lua' ? redisStore() : pgStore(kind, durability));
