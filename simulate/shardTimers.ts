import type { Fifo } from './fifo';
import * as gate from './gate';
import type { Command, Reservation } from './protocol';
import type { ShardState } from './shardState';

/** What the timers use of their shard: its holds and customers (durable), and its buyer lane. */
export type TimedShard = ShardState & {
  readonly holds: Fifo<Reservation>;
  readonly customers: Map<number, number>;
  enqueue(command: Command): void;
};

/**
 * The work a shard gives itself on a timer, queued with buyers and never shed: the TTL alarm
 * that releases expired holds, and the projection flush that writes its view key. Each is armed
 * at most once; the armed flags are memory, lost when the shard fails.
 */
export class ShardTimers {
  private alarmArmed = false;
  private flushArmed = false;

  constructor(private readonly shard: TimedShard) {}

  /** The TTL alarm, armed for the oldest held reservation (holds expire in creation order: one TTL). */
  armAlarm(): void {
    const shard = this.shard;
    if (this.alarmArmed || !shard.alive) return;
    while (shard.holds.peek() && shard.holds.peek()!.state !== 'held') shard.holds.shift();
    const head = shard.holds.peek();
    if (!head) return;
    this.alarmArmed = true;
    const incarnation = shard.incarnation;
    shard.world.clock.at(head.expiresAt, () => {
      if (incarnation === shard.incarnation) shard.enqueue(this.alarmRun());
    });
  }

  /** One alarm run: releases at most `alarmChunk` due holds, then re-arms (behind queued buyers). */
  private alarmRun(): Command {
    const shard = this.shard;
    let due: Reservation[] = [];
    return {
      start: () => {
        due = this.dueHolds();
        return due.length > 0 ? due.length * shard.world.scenario.profile.expiryMs : shard.world.serviceMs();
      },
      run: () => {
        let units = 0;
        for (const r of due) {
          r.state = 'released';
          units += r.qty;
          shard.customers.set(r.customer, shard.customers.get(r.customer)! - r.qty);
          shard.sku.releasedUnits(r.qty);
        }
        shard.world.metrics.expiredHolds += due.length;
        this.alarmArmed = false;
        if (units > 0) {
          gate.gain(shard, units);
          this.changed();
        }
        this.armAlarm();
      },
      lost: () => {},
    };
  }

  private dueHolds(): Reservation[] {
    const shard = this.shard;
    const due: Reservation[] = [];
    const { alarmChunk } = shard.world.scenario.holds;
    for (let i = 0; due.length < alarmChunk && i < shard.holds.length; i++) {
      const r = shard.holds.at(i)!;
      if (r.state !== 'held') continue;
      if (r.expiresAt > shard.world.now) break;
      due.push(r);
    }
    return due;
  }

  /** Counters changed: the projection flush writes this shard's view key at the next whole second. */
  changed(): void {
    const shard = this.shard;
    if (this.flushArmed || !shard.alive) return;
    this.flushArmed = true;
    const every = shard.world.scenario.readModel.flushEveryMs;
    const incarnation = shard.incarnation;
    shard.world.clock.at((Math.floor(shard.world.now / every) + 1) * every, () => {
      if (incarnation !== shard.incarnation) return;
      shard.enqueue({
        start: () => shard.world.serviceMs(),
        run: () => {
          this.flushArmed = false;
          shard.sku.view.write(shard.world.now, shard.sku.available);
        },
        lost: () => {},
      });
    });
  }

  /** The shard failed: neither timer is armed any more. */
  disarm(): void {
    this.alarmArmed = false;
    this.flushArmed = false;
  }
}
