/**
 * Group membership for cluster management: each member is an ephemeral node named by its id, holding its data;
 * members disappear with their sessions. 'change' reports the member list each time it changes.
 */
import { EventEmitter } from 'node:events';
import { CreateMode, ErrorCode, isZkError, type ZkClient } from '../../ensemble/client/index.ts';
import { ensurePath } from './support.ts';

export interface GroupMembershipEvents {
  change: [members: string[], diff: { joined: string[]; left: string[] }];
  error: [error: Error];
}

export class GroupMembership extends EventEmitter<GroupMembershipEvents> {
  private current: string[] = [];
  private watching = false;
  private closed = false;
  private reading = false;
  private readAgain = false;
  private readonly onState = (s: string): void => {
    if (s === 'connected' && this.watching) this.refresh();
  };

  constructor(private readonly zk: ZkClient, readonly groupPath: string) {
    super();
  }

  /** The members as last seen (call watch() or members() first). */
  get memberIds(): string[] {
    return [...this.current];
  }

  /** Joins the group as `memberId` for the life of the session. */
  async join(memberId: string, data: Buffer | string | null = null): Promise<void> {
    await ensurePath(this.zk, this.groupPath);
    const path = `${this.groupPath}/${memberId}`;
    try {
      await this.zk.create(path, data, { mode: CreateMode.EPHEMERAL });
    } catch (e) {
      if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
      // Ours already when a create was retried after a connection loss; anyone else's is a clash.
      const stat = await this.zk.exists(path);
      if (stat?.ephemeralOwner !== this.zk.sessionId) throw new Error(`member '${memberId}' is already in ${this.groupPath}`);
    }
  }

  async leave(memberId: string): Promise<void> {
    try {
      await this.zk.delete(`${this.groupPath}/${memberId}`);
    } catch (e) {
      if (!isZkError(e, ErrorCode.NONODE)) throw e;
    }
  }

  async members(): Promise<string[]> {
    await ensurePath(this.zk, this.groupPath);
    return (await this.zk.getChildren(this.groupPath)).sort();
  }

  async memberData(memberId: string): Promise<Buffer | null> {
    return (await this.zk.getData(`${this.groupPath}/${memberId}`)).data;
  }

  /** Starts reporting changes; resolves with the current members. */
  async watch(): Promise<string[]> {
    await ensurePath(this.zk, this.groupPath);
    if (!this.watching) {
      this.watching = true;
      this.zk.on('state', this.onState);
    }
    await this.read();
    return this.memberIds;
  }

  stop(): void {
    this.closed = true;
    this.zk.off('state', this.onState);
  }

  private refresh(): void {
    void this.read().catch((e: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        if (this.closed) return;
        const next = (await this.zk.getChildren(this.groupPath, () => this.refresh())).sort();
        const joined = next.filter((m) => !this.current.includes(m));
        const left = this.current.filter((m) => !next.includes(m));
        this.current = next;
        if (joined.length > 0 || left.length > 0) this.emit('change', next, { joined, left });
      } while (this.readAgain);
    } finally {
      this.reading = false;
    }
  }
}
