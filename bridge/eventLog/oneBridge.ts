/**
 * The embedded log is for one bridge process. A second bridge on the same directory would run the
 * sagas, the snapshotter and the order view a second time over the same file, with nothing to fence
 * either (invariant state-has-an-owner), so it refuses to start. Replicas need Kafka.
 *
 * The lock is SQLite's own file lock: a transaction left open (`BEGIN IMMEDIATE`) on
 * `<dir>/bridge.lock` for the bridge's life. The OS drops it when the process ends, however it
 * ends (`kill -9` included), so a restart never waits for a lease to lapse. Tools that only read
 * or append (the tests, the benchmarks) open the log without it. On a network file system whose
 * locks are unreliable the guard is only as good as those locks.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

const LOCK_FILE = 'bridge.lock';
const SQLITE_BUSY = 5;

export type HeldLock = { release(): void };

export class SecondBridgeError extends Error {
  override readonly name = 'SecondBridgeError';
  constructor(dir: string, holder: string) {
    super(
      `another bridge process (${holder}) is running on the embedded event log in ${dir}: the embedded log is for one bridge process. ` +
        'Stop the other bridge, give this one its own BRIDGE_DATA_DIR, or set KAFKA_BROKERS to run bridge replicas on Kafka.',
    );
  }
}

/** Held until `release()` or the process's end; throws SecondBridgeError while another bridge holds it. */
export function lockForOneBridge(dir: string): HeldLock {
  mkdirSync(dir, { recursive: true });
  // Loaded here, as in the embedded log: node:sqlite warns that it is experimental when imported.
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  // No busy timeout: a lock held by a live bridge is refused at once, not waited for.
  const db = new DatabaseSync(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
    // Who holds it, committed under the lock for the message of a bridge refused later; then the lock is taken again and kept.
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(process.pid, new Date().toISOString());
    db.exec('COMMIT');
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const holder = isBusy(error) ? describeHolder(db) : null;
    db.close();
    if (holder !== null) throw new SecondBridgeError(dir, holder);
    throw error;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

const isBusy = (error: unknown): boolean => (error as { errcode?: number } | null)?.errcode === SQLITE_BUSY;

/** Read while the holder keeps its lock (readers are still let in); best effort, for the message. */
function describeHolder(db: DatabaseSync): string {
  try {
    const row = db.prepare('SELECT pid, since FROM holder WHERE id = 1').get() as { pid: number; since: string } | undefined;
    return row ? `pid ${row.pid}, since ${row.since}` : 'pid unknown';
  } catch {
    return 'pid unknown';
  }
}
