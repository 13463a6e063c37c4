import { siblingBatch } from './commandRules';
import { Fifo } from './fifo';
import { nextFromLane, TURN, waitsTurn } from './objectGroup';
import type { Command } from './protocol';
import type { World } from './world';

/** What the loop reads of its object: a failed object serves nothing, and a restart is a new incarnation. */
export type Served = { readonly alive: boolean; readonly incarnation: number };

/**
 * An object's command loop: single-threaded, one command at a time. Sibling traffic (transfers,
 * undrains) goes ahead of buyers; buyers, alarms and projection flushes queue in one lane.
 */
export class CommandLoop {
  private readonly lane = new Fifo<Command>();
  private readonly urgent = new Fifo<Command>();
  private current: Command | null = null;
  /** Queued and current commands' weight beyond one each (group-commit batches). */
  private extraWeight = 0;

  constructor(
    private readonly world: World,
    private readonly object: Served,
  ) {}

  /** Commands waiting or in service (a group counts each member; the idle object's turn counts none). */
  get depth(): number {
    return this.lane.length + this.urgent.length + (this.current && this.current !== TURN ? 1 : 0) + this.extraWeight;
  }

  /** Buyers' commands and the object's own work (alarms, projection flushes). */
  enqueue(command: Command): void {
    this.extraWeight += (command.weight ?? 1) - 1;
    this.lane.push(command);
    this.kick();
  }

  /** Sibling traffic (transfers, undrains): ahead of buyers, bounded by the number of siblings. */
  enqueueUrgent(command: Command): void {
    this.urgent.push(command);
    this.kick();
  }

  /** `turned`: the idle object's one turn (objectGroup.ts) has passed, its next command starts now. */
  private kick(turned = false): void {
    if (!this.object.alive || this.current) return;
    if (!turned && waitsTurn(this.world, this.urgent, this.lane)) return this.waitTurn();
    const command = siblingBatch(this.world, this.urgent) ?? this.urgent.shift() ?? nextFromLane(this.world, this.lane, (delta) => (this.extraWeight += delta));
    if (!command) return;
    this.current = command;
    const incarnation = this.object.incarnation;
    const ms = command.start();
    this.world.metrics.commands++;
    this.world.clock.after(ms, () => {
      if (incarnation !== this.object.incarnation) return;
      command.run();
      this.current = null;
      this.extraWeight -= (command.weight ?? 1) - 1;
      this.kick();
    });
  }

  /** Grouping in the object: calls delivered at this instant join the group first (commandQueue.ts's one turn). */
  private waitTurn(): void {
    this.current = TURN;
    const incarnation = this.object.incarnation;
    this.world.clock.after(0, () => {
      if (incarnation !== this.object.incarnation) return;
      this.current = null;
      this.kick(true);
    });
  }

  /** The object failed: the command in service and every queued one are lost, returned to be answered. */
  drain(): Command[] {
    const lost = [...(this.current ? [this.current] : []), ...this.urgent.drain(), ...this.lane.drain()];
    this.current = null;
    this.extraWeight = 0;
    return lost;
  }
}
