/**
 * Barriers.
 * - Barrier: the barrier stands while its node exists; waiters block until it is removed.
 * - DoubleBarrier (ZooKeeper's recipe): `enter` blocks until `size` members have entered, `leave` until all have
 *   left. Members are ephemeral nodes, so a crashed member does not hold the others forever on leave.
 */
import { CreateMode, ErrorCode, isZkError, type ZkClient } from '../../ensemble/client/index.ts';
import { deadlineSignal, deleteQuietly, ensurePath, watchOnce } from './support.ts';

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class Barrier {
  constructor(private readonly zk: ZkClient, readonly barrierPath: string) {}

  async set(): Promise<void> {
    const parent = this.barrierPath.slice(0, this.barrierPath.lastIndexOf('/'));
    if (parent) await ensurePath(this.zk, parent);
    try {
      await this.zk.create(this.barrierPath);
    } catch (e) {
      if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
    }
  }

  async remove(): Promise<void> {
    await deleteQuietly(this.zk, this.barrierPath);
  }

  /** Resolves once the barrier is removed (at once when it is not set). */
  async wait(opts: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(`waiting on barrier ${this.barrierPath}`, opts);
    for (;;) {
      signal?.throwIfAborted();
      const w = watchOnce(this.zk, signal);
      if ((await this.zk.exists(this.barrierPath, w.watcher)) === null) {
        w.dispose();
        return;
      }
      await w.fired;
    }
  }
}

const READY = 'ready';

export class DoubleBarrier {
  private readonly ourPath: string;

  constructor(private readonly zk: ZkClient, readonly barrierPath: string, readonly size: number, readonly memberId: string) {
    if (memberId === READY || memberId.includes('/')) throw new Error(`invalid member id '${memberId}'`);
    this.ourPath = `${barrierPath}/${memberId}`;
  }

  private async members(watcher?: () => void): Promise<string[]> {
    return (await this.zk.getChildren(this.barrierPath, watcher)).filter((c) => c !== READY).sort();
  }

  /** Joins, then waits until `size` members have joined. */
  async enter(opts: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(`entering double barrier ${this.barrierPath}`, opts);
    await ensurePath(this.zk, this.barrierPath);
    const readyPath = `${this.barrierPath}/${READY}`;
    // Watch for 'ready' before joining, so its creation by the last member cannot be missed.
    const w = watchOnce(this.zk, signal);
    const readyAlready = (await this.zk.exists(readyPath, w.watcher)) !== null;
    try {
      await this.zk.create(this.ourPath, null, { mode: CreateMode.EPHEMERAL });
    } catch (e) {
      if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
    }
    if (readyAlready) {
      w.dispose();
      return;
    }
    if ((await this.members()).length >= this.size) {
      try {
        await this.zk.create(readyPath);
      } catch (e) {
        if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
      }
      w.dispose();
      return;
    }
    try {
      await w.fired;
    } catch (e) {
      await deleteQuietly(this.zk, this.ourPath).catch(() => undefined);
      throw e;
    }
  }

  /** Leaves, then waits until every member has left (the lowest-named member leaves last). */
  async leave(opts: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(`leaving double barrier ${this.barrierPath}`, opts);
    const ourName = this.memberId;
    for (;;) {
      signal?.throwIfAborted();
      const members = await this.members();
      if (members.length === 0) break;
      const present = members.includes(ourName);
      if (members.length === 1 && present) {
        await deleteQuietly(this.zk, this.ourPath);
        break;
      }
      const lowest = members[0]!;
      const highest = members[members.length - 1]!;
      let waitFor: string;
      if (present && lowest === ourName) {
        waitFor = highest; // the lowest leaves last
      } else {
        if (present) await deleteQuietly(this.zk, this.ourPath);
        waitFor = lowest;
      }
      const w = watchOnce(this.zk, signal);
      if ((await this.zk.exists(`${this.barrierPath}/${waitFor}`, w.watcher)) === null) {
        w.dispose();
        continue;
      }
      await w.fired;
    }
    // The last one out takes the ready marker down so the barrier can be used again.
    await deleteQuietly(this.zk, `${this.barrierPath}/${READY}`);
  }
}
