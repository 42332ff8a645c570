/**
 * Distributed locks on ephemeral-sequential nodes. Each contender creates its node and waits for the deletion
 * of the one node that blocks it (never the whole set: no herd effect). A lock held by a session that expires is
 * gone; the holder hears it through the 'lost' event.
 *
 * - DistributedLock: exclusive; blocked by the immediate predecessor.
 * - ReadWriteLock: readers are blocked only by the last writer before them, writers by their predecessor.
 */
import { EventEmitter } from 'node:events';
import { CreateMode, EventType, type ZkClient } from '../../ensemble/client/index.ts';
import { bySequence, deadlineSignal, deleteQuietly, kindOf, protectedCreate, watchOnce } from './support.ts';

export interface AcquireOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface LockEvents {
  /** The lock was held and is no longer: the session expired or the lock node was deleted by someone else. */
  lost: [];
}

/** Given the sorted contenders and our index, the node we must wait for, or null when we hold the lock. */
type Blocker = (sorted: string[], ours: number) => string | null;

class SequentialLock extends EventEmitter<LockEvents> {
  private ourPath: string | null = null;
  private held = false;
  private readonly onState = (s: string): void => {
    if (s === 'expired' || s === 'closed') this.markLost();
  };

  constructor(
    protected readonly zk: ZkClient,
    readonly lockPath: string,
    private readonly prefix: string,
    private readonly blocker: Blocker,
  ) {
    super();
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** The lock node while held or waiting. */
  get nodePath(): string | null {
    return this.ourPath;
  }

  /** Waits until the lock is held; throws the signal's reason (or TimeoutError) and withdraws when cancelled. */
  async acquire(opts: AcquireOptions = {}): Promise<void> {
    if (this.ourPath) throw new Error(`lock ${this.lockPath} is already held or being acquired by this object`);
    const signal = deadlineSignal(`acquiring lock ${this.lockPath}`, opts);
    signal?.throwIfAborted();
    const ourPath = await protectedCreate(this.zk, this.lockPath, this.prefix, null, CreateMode.EPHEMERAL_SEQUENTIAL);
    this.ourPath = ourPath;
    const ourName = ourPath.slice(this.lockPath.length + 1);
    try {
      for (;;) {
        signal?.throwIfAborted();
        const sorted = bySequence(await this.zk.getChildren(this.lockPath));
        const ours = sorted.indexOf(ourName);
        if (ours < 0) throw new Error(`lock node ${ourPath} vanished while waiting (session expired?)`);
        const blocking = this.blocker(sorted, ours);
        if (blocking === null) break;
        const wait = watchOnce(this.zk, signal);
        // exists() arms the watch; a predecessor already gone means look again right away.
        if ((await this.zk.exists(`${this.lockPath}/${blocking}`, wait.watcher)) === null) {
          wait.dispose();
          continue;
        }
        await wait.fired;
      }
    } catch (e) {
      this.ourPath = null;
      await deleteQuietly(this.zk, ourPath).catch(() => undefined);
      throw e;
    }
    this.held = true;
    this.zk.on('state', this.onState);
    // Someone deleting our node (an operator, a cleanup script) also ends the lock. The watch is armed before
    // acquire() returns, so a delete issued after it always fires it (held is already set for that event).
    const stat = await this.zk
      .exists(ourPath, (event) => {
        if (event.type === EventType.NodeDeleted && this.ourPath === ourPath) this.markLost();
      })
      .catch(() => undefined); // connection trouble: onState decides what it means for the lock
    if (stat === null) {
      this.forget();
      throw new Error(`lock node ${ourPath} vanished while acquiring (deleted, or the session expired)`);
    }
  }

  async release(): Promise<void> {
    const ourPath = this.ourPath;
    if (!ourPath) return;
    this.forget();
    await deleteQuietly(this.zk, ourPath);
  }

  private markLost(): void {
    if (!this.held) return;
    this.forget();
    this.emit('lost');
  }

  /** No longer held, no node of ours, no interest in the connection's state. */
  private forget(): void {
    this.held = false;
    this.ourPath = null;
    this.zk.off('state', this.onState);
  }
}

const immediatePredecessor: Blocker = (sorted, ours) => (ours === 0 ? null : sorted[ours - 1]!);

export class DistributedLock extends SequentialLock {
  constructor(zk: ZkClient, lockPath: string) {
    super(zk, lockPath, 'lock-', immediatePredecessor);
  }
}

const READ = 'read-';
const WRITE = 'write-';

/** A reader waits only for the last writer queued before it. */
const readerBlocker: Blocker = (sorted, ours) => {
  for (let i = ours - 1; i >= 0; i--) if (kindOf(sorted[i]!) === WRITE) return sorted[i]!;
  return null;
};

export class ReadWriteLock {
  readonly readLock: SequentialLock;
  readonly writeLock: SequentialLock;
  constructor(zk: ZkClient, lockPath: string) {
    this.readLock = new SequentialLock(zk, lockPath, READ, readerBlocker);
    this.writeLock = new SequentialLock(zk, lockPath, WRITE, immediatePredecessor);
  }
}

export type { SequentialLock };
