/**
 * Leader election, latch style: every candidate holds an ephemeral-sequential node; the lowest is the leader and
 * each other candidate watches only its predecessor. Leadership is given up as soon as the connection is in doubt
 * (disconnected), re-checked on reconnection, and lost for good when the session expires.
 */
import { EventEmitter } from 'node:events';
import { CreateMode, type ZkClient } from '../../ensemble/client/index.ts';
import { bySequence, deleteQuietly, ensurePath, protectedCreate } from './support.ts';

export interface LeaderLatchEvents {
  isLeader: [];
  notLeader: [];
  error: [error: Error];
}

export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  private ourPath: string | null = null;
  private leader = false;
  private state: 'idle' | 'started' | 'closed' = 'idle';
  private checking = false;
  private checkAgain = false;
  private readonly onState = (s: string): void => {
    if (s === 'disconnected') this.setLeader(false);
    else if (s === 'connected') this.check();
    else if (s === 'expired' || s === 'closed') {
      this.ourPath = null;
      this.setLeader(false);
    }
  };

  constructor(private readonly zk: ZkClient, readonly latchPath: string, readonly id = '') {
    super();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('a LeaderLatch starts once');
    this.state = 'started';
    this.zk.on('state', this.onState);
    await ensurePath(this.zk, this.latchPath);
    this.ourPath = await protectedCreate(this.zk, this.latchPath, 'latch-', this.id, CreateMode.EPHEMERAL_SEQUENTIAL);
    await this.checkNow();
  }

  /** Resolves once this candidate leads. */
  waitForLeadership(signal?: AbortSignal): Promise<void> {
    if (this.leader) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.off('isLeader', onLeader);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      const onLeader = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.once('isLeader', onLeader);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The candidates' ids in order (the first leads). */
  async participants(): Promise<string[]> {
    const sorted = bySequence(await this.zk.getChildren(this.latchPath));
    return Promise.all(sorted.map(async (n) => (await this.zk.getData(`${this.latchPath}/${n}`).catch(() => ({ data: null }))).data?.toString('utf8') ?? ''));
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.zk.off('state', this.onState);
    const ourPath = this.ourPath;
    this.ourPath = null;
    this.setLeader(false);
    if (ourPath) await deleteQuietly(this.zk, ourPath);
  }

  private check(): void {
    void this.checkNow().catch((e: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
  }

  /** Serialized so that two checks never race to different conclusions. */
  private async checkNow(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await this.checkOnce();
      } while (this.checkAgain);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(): Promise<void> {
    const ourPath = this.ourPath;
    if (this.state !== 'started' || !ourPath || this.zk.state !== 'connected') return;
    const ourName = ourPath.slice(this.latchPath.length + 1);
    const sorted = bySequence(await this.zk.getChildren(this.latchPath));
    const ours = sorted.indexOf(ourName);
    if (ours < 0) {
      // Our node was deleted from outside while the session lives on: stand again.
      this.setLeader(false);
      this.ourPath = await protectedCreate(this.zk, this.latchPath, 'latch-', this.id, CreateMode.EPHEMERAL_SEQUENTIAL);
      this.checkAgain = true;
      return;
    }
    if (ours === 0) {
      this.setLeader(true);
      // Watch our own node too: deleted from outside, it no longer makes us the leader.
      if ((await this.zk.exists(ourPath, () => this.check())) === null) this.checkAgain = true;
      return;
    }
    this.setLeader(false);
    const predecessor = `${this.latchPath}/${sorted[ours - 1]!}`;
    const stat = await this.zk.exists(predecessor, () => this.check());
    if (stat === null) this.checkAgain = true;
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.emit(leader ? 'isLeader' : 'notLeader');
  }
}
