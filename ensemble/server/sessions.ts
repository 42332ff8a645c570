/**
 * Session tracking on the node that owns the clients: ids, passwords, negotiated timeouts and expiry.
 * Which sessions exist is replicated state (createSession / closeSession txns); when they expire is decided here.
 */
import crypto from 'node:crypto';

export interface SessionLink {
  close(reason: string): void;
}

export interface Session<L extends SessionLink = SessionLink> {
  readonly id: bigint;
  readonly password: Buffer;
  timeout: number;
  /** ms since epoch, rounded up to a tick as ZooKeeper's expiry buckets are. */
  expiresAt: number;
  /** Expired or closing: its closeSession txn is on its way; no reconnect. */
  closing: boolean;
  /** The connection currently serving the session, if any. */
  connection: L | null;
}

export function newPassword(): Buffer {
  return crypto.randomBytes(16);
}

/** Clamps the client's requested timeout into [min, max], as ZooKeeperServer.processConnectRequest does. */
export function negotiateTimeout(requested: number, min: number, max: number): number {
  return Math.min(Math.max(requested, min), max);
}

export class SessionTracker<L extends SessionLink = SessionLink> {
  private readonly sessions = new Map<bigint, Session<L>>();
  private nextId: bigint;

  constructor(
    serverId: number,
    private readonly tickTime: number,
    private readonly now: () => number = Date.now,
  ) {
    // ZooKeeper's SessionTrackerImpl.initializeNextSessionId: server id in the top byte, then a time-based start.
    const time = BigInt(now()) & ((1n << 40n) - 1n);
    this.nextId = (BigInt(serverId) << 56n) | (time << 16n);
  }

  newSessionId(): bigint {
    let id = this.nextId++;
    while (this.sessions.has(id)) id = this.nextId++;
    return id;
  }

  add(id: bigint, timeout: number, password: Buffer): Session<L> {
    const s: Session<L> = { id, password, timeout, expiresAt: 0, closing: false, connection: null };
    this.sessions.set(id, s);
    this.touch(s);
    return s;
  }

  get(id: bigint): Session<L> | undefined {
    return this.sessions.get(id);
  }

  /** A live session whose password matches, or undefined. */
  validate(id: bigint, password: Buffer | null): Session<L> | undefined {
    const s = this.sessions.get(id);
    if (!s || s.closing || !password || password.length !== s.password.length) return undefined;
    return crypto.timingSafeEqual(s.password, password) ? s : undefined;
  }

  touch(s: Session<L>, timeout = s.timeout): void {
    s.timeout = timeout;
    const t = this.now() + timeout;
    s.expiresAt = Math.ceil(t / this.tickTime) * this.tickTime;
  }

  /** Sessions past their expiry time that are not already closing. */
  expired(): Session<L>[] {
    const now = this.now();
    const out: Session<L>[] = [];
    for (const s of this.sessions.values()) if (!s.closing && s.expiresAt <= now) out.push(s);
    return out;
  }

  remove(id: bigint): Session<L> | undefined {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    return s;
  }

  all(): IterableIterator<Session<L>> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }
}
