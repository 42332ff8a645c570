/**
 * ZAB's safety properties, checked after every simulated step. A violation throws with a message
 * naming the property; the simulator adds the seed so the schedule can be replayed.
 */
import { formatZxid } from '../../ensemble/zab/index.ts';
import type { AppliedTxn } from './disk.ts';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

export class Checker {
  /** The one committed history every applied sequence must be a prefix of. */
  readonly history: AppliedTxn[] = [];
  private readonly leaderOfEpoch = new Map<bigint, number>();
  private readonly epochsSeen = new Map<number, { accepted: bigint; current: bigint }>();

  /** Node `id` applied `txn` as the `index`-th txn of its state. */
  applied(id: number, index: number, txn: AppliedTxn, previous: AppliedTxn | undefined): void {
    if (previous && txn.zxid <= previous.zxid) {
      fail(`node ${id} applied ${formatZxid(txn.zxid)} after ${formatZxid(previous.zxid)}: zxids must increase`);
    }
    if (index < this.history.length) {
      const h = this.history[index]!;
      if (h.zxid !== txn.zxid || h.payload !== txn.payload) {
        fail(`node ${id} applied ${describe(txn)} at position ${index} where the committed history has ${describe(h)}`);
      }
    } else if (index === this.history.length) {
      this.history.push(txn);
    } else {
      fail(`node ${id} applied position ${index} past the history's end ${this.history.length}`);
    }
  }

  /** A state replaced wholesale (SNAP, restart from snapshot) must itself be a committed prefix. */
  restored(id: number, state: readonly AppliedTxn[]): void {
    for (let i = 0; i < state.length; i++) this.applied(id, i, state[i]!, state[i - 1]);
  }

  leaderEstablished(id: number, epoch: bigint, applied: readonly AppliedTxn[]): void {
    const other = this.leaderOfEpoch.get(epoch);
    if (other !== undefined && other !== id) fail(`epoch ${epoch} has two established leaders: ${other} and ${id}`);
    this.leaderOfEpoch.set(epoch, id);
    // Establishment commits the leader's whole history, so everything committed so far must be in it.
    if (applied.length < this.history.length) {
      const lost = this.history[applied.length]!;
      fail(`leader ${id} of epoch ${epoch} lost committed txn ${describe(lost)} (applied ${applied.length} of ${this.history.length})`);
    }
  }

  epochs(id: number, accepted: bigint, current: bigint): void {
    const prev = this.epochsSeen.get(id);
    if (current > accepted) fail(`node ${id} currentEpoch ${current} > acceptedEpoch ${accepted}`);
    if (prev && (accepted < prev.accepted || current < prev.current)) {
      fail(`node ${id} epochs went back from (${prev.accepted}, ${prev.current}) to (${accepted}, ${current})`);
    }
    this.epochsSeen.set(id, { accepted, current });
  }

  get establishedEpochs(): number {
    return this.leaderOfEpoch.size;
  }
}

function describe(t: AppliedTxn): string {
  return `${formatZxid(t.zxid)}(${t.payload})`;
}

function fail(message: string): never {
  throw new InvariantViolation(message);
}
