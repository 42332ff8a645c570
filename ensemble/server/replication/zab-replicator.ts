/**
 * ZabReplicator: the replicated implementation of the pipeline's Replicator seam. It is the I/O around the pure
 * ZabNode: a PeerNetwork carries its messages, Storage makes its log and epochs durable, a timer ticks it, and the
 * pipeline's tree answers its snapshot requests.
 *
 * Each Ready from the node is handled strictly in the order ZAB requires (ensemble/zab/README.md): storage ops
 * (truncate / SNAP install / epochs are awaited: durable before any message that vouches for them; appends run as
 * group-commit writes reported back with persisted()), then messages, then applies, then events. Readies are
 * handled one at a time, so a message never overtakes the durability of an earlier Ready.
 *
 * Ticks: ZabNode counts initLimit/syncLimit in ticks. We tick it TICKS_PER_TICK times per zoo.cfg tickTime and
 * scale the limits by the same factor: the timeouts in milliseconds are ZooKeeper's (syncLimit × tickTime), but
 * pings go out more often and a missed deadline is noticed within a fraction of a tickTime instead of a whole one.
 * A follower whose quorum link to its leader drops goes back to election at once, as ZooKeeper's follower does when
 * its socket to the leader breaks (a kill -9 of the leader closes the sockets, so failover does not wait syncLimit).
 */
import { finishInSlices } from '../snapshot-slices.ts';
import type { SnapshotInProgress } from '../../tree/snapshot-in-progress.ts';
import { PeerNetwork, type PeerAddress } from '../peers/index.ts';
import type { Storage } from '../../storage/index.ts';
import { SnapshotTrigger } from '../../storage/index.ts';
import { DataTree } from '../../tree/data-tree.ts';
import type { DataTreeApi, Txn, TreeOptions } from '../../tree/api.ts';
import { decodeTxn, encodeTxn } from '../../jute/txn.ts';
import {
  ZabNode,
  decode as decodeMessage,
  encode as encodeMessage,
  epochOf,
  isEmptyReady,
  makeZxid,
  type DurableState,
  type LogEntry,
  type NodeEvent,
  type Ready,
  type Role,
} from '../../zab/index.ts';
import type { CommitHandler, Replicator, ReplicatorState, WriteRequest } from '../replicator.ts';
import { MAX_SESSIONS_PER_BATCH, decodeForwarded, encodeForwardedWrite, encodeSessionActivity } from './forwarded.ts';

/** The tree a replicator snapshots: whole at once (SNAP syncs), or in slices (its own periodic snapshots). */
export interface SnapshotSource {
  serialize(): Buffer;
  beginSnapshot(): SnapshotInProgress;
}

export const TICKS_PER_TICK = 10;
/** Committed txns the leader keeps in memory for DIFFs (ZooKeeper's commitLogCount is 500). */
const MEMORY_LOG_TXNS = 4096;
/** At most this many overdue ticks are run per timer callback. */
const MAX_CATCH_UP_TICKS = 4;

/** ZooKeeper's names for a server's role, as srvr/mntr print them. */
export type ServerRole = 'leader' | 'follower' | 'observer' | 'looking';

export interface ReplicationStatus {
  role: ServerRole;
  serving: boolean;
  leaderId: number | null;
  epoch: bigint | null;
  /** Last txn applied to this node's tree. */
  appliedZxid: bigint;
  lastLoggedZxid: bigint;
  /** Leader only: learners connected, learners synced, sync() requests waiting. */
  followers: number;
  syncedFollowers: number;
  pendingSyncs: number;
}

export interface ZabReplicatorOptions {
  myid: number;
  servers: readonly PeerAddress[];
  /** quorum.auth.secretFile's key; null only on loopback. */
  secret: Buffer | null;
  tickTime: number;
  initLimit: number;
  syncLimit: number;
  snapCount: number;
  snapRetainCount: number;
  storage: Storage;
  durable: DurableState;
  /** zxid of the tree the node starts with (the recovered snapshot's). */
  treeZxid: bigint;
  treeOptions?: TreeOptions;
  /** Leader-side: proposals in flight before submit fails fast. */
  maxOutstanding?: number;
  /** Largest peer message per channel (zoo.cfg quorum.maxMessageBytes / election.maxMessageBytes). */
  maxMessageBytes?: { quorum?: number; election?: number };
  log?: (msg: string) => void;
}

interface PendingSync {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class ReplicationUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicationUnavailableError';
  }
}

export class ZabReplicator implements Replicator {
  private readonly zab: ZabNode;
  private readonly storage: Storage;
  private readonly log: (msg: string) => void;
  private peers: PeerNetwork | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private nextTickAt = 0;
  private closed = false;

  private commitHandler: CommitHandler = () => {};
  private committedHooks: CommitHandler[] = [];
  private stateHandlers: ((s: ReplicatorState) => void)[] = [];
  private restoreHandler: (tree: DataTreeApi, zxid: bigint) => void = () => {};
  private snapshotSource: SnapshotSource | null = null;
  private sessionActivityHandler: (ids: bigint[]) => void = () => {};

  private currentState: ReplicatorState = 'unavailable';
  private zabRole: Role = 'looking';
  private leaderId: number | null = null;
  private appliedZxid: bigint;

  private pumping = false;
  /** Bumped by every truncate / SNAP install: an append acknowledged across one must not count as persisted. */
  private storageGeneration = 0;
  private nextRequestId = 1n;
  private readonly syncs = new Map<bigint, PendingSync>();
  private readonly touchedSessions = new Set<bigint>();
  private readonly trigger: SnapshotTrigger;
  private snapshotting = false;
  /**
   * Logged records at or before this zxid may belong to an abandoned history (a SNAP install keeps the log before its
   * snapshot, and recovery starts from the newest snapshot, which may be such an install): no DIFF is read from them.
   */
  private historyFloor: bigint;

  constructor(private readonly o: ZabReplicatorOptions) {
    this.storage = o.storage;
    this.log = o.log ?? (() => {});
    this.appliedZxid = o.treeZxid;
    const zabTickMs = this.zabTickMs;
    const voters = o.servers.filter((s) => !s.observer).map((s) => s.sid);
    const observers = o.servers.filter((s) => s.observer).map((s) => s.sid);
    const snapThreshold = Math.max(100, Math.floor(o.snapCount / 2));
    this.historyFloor = o.treeZxid;
    this.zab = new ZabNode(
      {
        myId: o.myid,
        voters,
        observers,
        initLimit: o.initLimit * TICKS_PER_TICK,
        syncLimit: o.syncLimit * TICKS_PER_TICK,
        // ZooKeeper's finalizeWait is 200 ms; its notification resend starts at 200 ms too.
        finalizeWaitTicks: Math.max(1, Math.round(200 / zabTickMs)),
        electionResendTicks: Math.max(1, Math.round(400 / zabTickMs)),
        snapThreshold,
        // Older txns of a DIFF are read back from the log on disk (historyRequest), so memory holds only a few.
        memoryLogTxns: Math.min(MEMORY_LOG_TXNS, snapThreshold),
        diskHistory: true,
        maxOutstanding: o.maxOutstanding ?? 10_000,
        random: Math.random,
      },
      o.durable,
    );
    this.trigger = new SnapshotTrigger({ snapCount: o.snapCount });
  }

  get zabTickMs(): number {
    return Math.max(5, Math.floor(this.o.tickTime / TICKS_PER_TICK));
  }

  // ---------------------------------------------------------------- wiring (before start)

  onCommit(handler: CommitHandler): void {
    this.commitHandler = handler;
  }

  /** Runs after the pipeline's commit handler, for every txn (the runtime's own bookkeeping). */
  onCommitted(handler: CommitHandler): void {
    this.committedHooks.push(handler);
  }

  onStateChange(handler: (state: ReplicatorState) => void): void {
    this.stateHandlers.push(handler);
  }

  /** A SNAP from the leader replaced the state: the pipeline must swap its tree for this one. */
  onRestore(handler: (tree: DataTreeApi, zxid: bigint) => void): void {
    this.restoreHandler = handler;
  }

  /**
   * The pipeline's tree, as of the last txn this replicator delivered: serialized at once for a SNAP sync to a
   * learner, or begun and written in slices for this node's own periodic snapshots.
   */
  setSnapshotSource(source: SnapshotSource): void {
    this.snapshotSource = source;
  }

  /** Leader: sessions that had activity on a follower (call SessionTracker.touch for them). */
  onSessionActivity(handler: (ids: bigint[]) => void): void {
    this.sessionActivityHandler = handler;
  }

  async start(): Promise<void> {
    this.peers = await PeerNetwork.start({
      sid: this.o.myid,
      servers: this.o.servers,
      secret: this.o.secret,
      maxMessageBytes: this.o.maxMessageBytes,
      log: this.log,
    });
    this.peers.on('message', (sid, _channel, payload) => this.onPeerMessage(sid, payload));
    this.peers.on('down', (sid, channel) => this.onLinkDown(sid, channel));
    this.tickTimer = setInterval(() => this.onTick(), this.zabTickMs);
    this.pump();
  }

  // ---------------------------------------------------------------- Replicator

  get state(): ReplicatorState {
    return this.currentState;
  }

  submit(req: WriteRequest): boolean {
    if (this.closed || this.currentState !== 'serving') return false;
    const ok = this.zabRole === 'leading' ? this.propose(req) : this.forward(req);
    this.pump();
    return ok;
  }

  sync(): Promise<void> {
    if (this.closed || this.currentState !== 'serving') return Promise.reject(new ReplicationUnavailableError('not serving'));
    const id = this.nextRequestId++;
    return new Promise<void>((resolve, reject) => {
      if (!this.zab.sync(id)) return reject(new ReplicationUnavailableError('not serving'));
      this.syncs.set(id, { resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.failSyncs('server shutting down');
    await this.peers?.close();
    await this.storage.close();
  }

  // ---------------------------------------------------------------- sessions

  /** Client activity (ping or request) of a session connected here; relayed to the leader, which decides expiry. */
  touchSession(sessionId: bigint): void {
    if (this.zabRole !== 'leading' && sessionId !== 0n) this.touchedSessions.add(sessionId);
  }

  // ---------------------------------------------------------------- status

  role(): ServerRole {
    return roleName(this.zabRole);
  }

  get isLeader(): boolean {
    return this.zabRole === 'leading' && this.currentState === 'serving';
  }

  status(): ReplicationStatus {
    const s = this.zab.state;
    const l = this.zab.leaderStats();
    return {
      role: this.role(),
      serving: this.currentState === 'serving',
      leaderId: s.leaderId,
      epoch: s.epoch,
      appliedZxid: this.appliedZxid,
      lastLoggedZxid: s.lastLoggedZxid,
      followers: l?.learners ?? 0,
      syncedFollowers: l?.synced ?? 0,
      pendingSyncs: l?.pendingSyncs ?? 0,
    };
  }

  // ---------------------------------------------------------------- writes

  /** Leader: stamp the Txn with the zxid ZAB is about to assign (so the bytes are encoded once) and propose it. */
  private propose(req: WriteRequest): boolean {
    const s = this.zab.state;
    if (!s.ready || s.epoch === null) return false;
    const last = s.lastLoggedZxid;
    const zxid = epochOf(last) === s.epoch ? last + 1n : makeZxid(s.epoch, 1);
    const txn: Txn = { hdr: { sessionId: req.sessionId, cxid: req.cxid, zxid, time: BigInt(Date.now()) }, auth: req.auth, op: req.op };
    const result = this.zab.propose(encodeTxn(txn));
    if (!result.ok) {
      this.log(`proposal refused: ${result.reason}`);
      return false;
    }
    if (result.zxid !== zxid) throw new Error(`ZAB assigned zxid 0x${result.zxid.toString(16)}, the txn says 0x${zxid.toString(16)}`);
    return true;
  }

  private forward(req: WriteRequest): boolean {
    return this.zab.forwardRequest(this.nextRequestId++, encodeForwardedWrite({ ...req, origin: req.origin ?? this.o.myid }));
  }

  private flushSessionActivity(): void {
    if (this.touchedSessions.size === 0 || this.zabRole === 'leading' || this.currentState !== 'serving') return;
    const ids = [...this.touchedSessions];
    this.touchedSessions.clear();
    for (let i = 0; i < ids.length; i += MAX_SESSIONS_PER_BATCH) {
      this.zab.forwardRequest(this.nextRequestId++, encodeSessionActivity(ids.slice(i, i + MAX_SESSIONS_PER_BATCH)));
    }
  }

  // ---------------------------------------------------------------- inputs

  private onPeerMessage(sid: number, payload: Buffer): void {
    if (this.closed) return;
    let msg;
    try {
      msg = decodeMessage(payload);
    } catch (e) {
      this.log(`dropping a malformed message from sid ${sid}: ${(e as Error).message}`);
      return;
    }
    this.zab.step(sid, msg);
    this.pump();
  }

  private onLinkDown(sid: number, channel: string): void {
    if (this.closed || channel !== 'quorum') return;
    const s = this.zab.state;
    if ((this.zabRole !== 'following' && this.zabRole !== 'observing') || s.leaderId !== sid) return;
    // Packets handed to the dead socket are lost, so this leader session would stall until syncLimit anyway:
    // let the learner time out now (ticks only advance a learner's own deadlines).
    this.log(`lost the quorum link to leader ${sid}: looking for a leader`);
    const limit = (this.o.initLimit + this.o.syncLimit + 2) * TICKS_PER_TICK;
    for (let i = 0; i < limit && this.zab.state.role !== 'looking'; i++) this.zab.tick();
    this.pump();
  }

  private onTick(): void {
    if (this.closed) return;
    // Timers fire late on a busy machine; ticks are ZAB's clock, so count the ticks that were due rather than the
    // callbacks that ran, or syncLimit would stretch with the load. A few at a time: after a long stall (SIGSTOP,
    // a GC pause) the socket data that arrived meanwhile should be read before every deadline is judged at once.
    const now = performance.now();
    if (this.nextTickAt === 0) this.nextTickAt = now;
    let due = 0;
    while (this.nextTickAt <= now && due < MAX_CATCH_UP_TICKS) {
      due++;
      this.nextTickAt += this.zabTickMs;
    }
    if (this.nextTickAt <= now) this.nextTickAt = now + this.zabTickMs;
    for (let i = 0; i < due; i++) this.zab.tick();
    this.flushSessionActivity();
    this.pump();
  }

  // ---------------------------------------------------------------- Ready handling

  /** Drains the node until it has nothing to say; one Ready at a time, in order. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    const loop = (): void => {
      while (!this.closed) {
        const ready = this.zab.drain();
        if (isEmptyReady(ready)) break;
        const blocking = this.handleStorage(ready);
        if (blocking) {
          blocking.then(
            () => {
              this.afterStorage(ready);
              loop();
            },
            (e: Error) => this.fatal(e),
          );
          return;
        }
        this.afterStorage(ready);
      }
      this.pumping = false;
    };
    try {
      loop();
    } catch (e) {
      this.fatal(e as Error);
    }
  }

  /** Starts every storage op; returns a promise when some must be durable before the messages go out. */
  private handleStorage(ready: Ready): Promise<void> | null {
    if (ready.storage.length === 0) return null;
    const mustWait = ready.storage.some((op) => op.op !== 'append');
    if (!mustWait) {
      for (const op of ready.storage) if (op.op === 'append') this.append(op.entry);
      return null;
    }
    return (async () => {
      for (const op of ready.storage) {
        switch (op.op) {
          case 'append':
            this.append(op.entry);
            break;
          case 'truncate':
            this.log(`TRUNC: discarding logged txns after 0x${op.afterZxid.toString(16)}`);
            this.storageGeneration++;
            await this.storage.truncateAfter(op.afterZxid);
            break;
          case 'snapshot':
            this.log(`SNAP: installing the leader's snapshot at 0x${op.zxid.toString(16)} and ${op.entries.length} txns after it`);
            this.storageGeneration++;
            await this.installSnapshot(op.zxid, op.data, op.entries);
            break;
          case 'epochs':
            await this.storage.writeEpoch('accepted', op.acceptedEpoch);
            await this.storage.writeEpoch('current', op.currentEpoch);
            break;
        }
      }
    })();
  }

  private append(entry: LogEntry): void {
    const generation = this.storageGeneration;
    this.storage.append(entry.zxid, entry.payload).then(
      () => {
        if (this.closed || generation !== this.storageGeneration) return;
        this.zab.persisted(entry.zxid);
        this.pump();
      },
      (e: Error) => this.fatal(e),
    );
  }

  /**
   * SNAP: the snapshot file first (atomic rename), then drop the old log past it, then the txns that follow it.
   * A crash in between leaves the snapshot plus at most an old-epoch tail the next leader truncates.
   */
  private async installSnapshot(zxid: bigint, data: Buffer, entries: readonly LogEntry[]): Promise<void> {
    while (!(await this.storage.snapshot(zxid, data))) await new Promise((r) => setTimeout(r, 10));
    this.historyFloor = zxid;
    await this.storage.truncateAfter(zxid);
    await Promise.all(entries.map((e) => this.storage.append(e.zxid, e.payload)));
  }

  private afterStorage(ready: Ready): void {
    const peers = this.peers;
    if (peers) {
      for (const out of ready.messages) {
        peers.send(out.to, out.message.kind === 'notification' ? 'election' : 'quorum', encodeMessage(out.message));
      }
    }
    for (const a of ready.apply) {
      if (a.op === 'commit') this.applyCommit(a.entry);
      else this.applyRestore(a.zxid, a.data);
    }
    for (const ev of ready.events) this.handleEvent(ev);
  }

  private applyCommit(entry: LogEntry): void {
    const txn = decodeTxn(entry.payload);
    if (txn.hdr.zxid !== entry.zxid) throw new Error(`txn header zxid 0x${txn.hdr.zxid.toString(16)} != ZAB zxid 0x${entry.zxid.toString(16)}`);
    this.appliedZxid = entry.zxid;
    this.commitHandler(txn);
    for (const h of this.committedHooks) h(txn);
    if (this.trigger.recordTxn(entry.payload.length)) this.takeSnapshot();
  }

  private applyRestore(zxid: bigint, data: Buffer): void {
    const tree = DataTree.deserialize(data, this.o.treeOptions);
    this.appliedZxid = zxid;
    this.restoreHandler(tree, zxid);
    this.trigger.reset();
  }

  /**
   * Local snapshot as of a txn boundary (our txns are not idempotent, so no fuzzy snapshots), written in slices while
   * later txns apply, then compaction. Given up if the log is truncated or replaced meanwhile.
   */
  private takeSnapshot(): void {
    if (this.snapshotting || !this.snapshotSource) return;
    this.trigger.reset();
    this.snapshotting = true;
    const zxid = this.appliedZxid;
    const generation = this.storageGeneration;
    const stillWanted = (): boolean => !this.closed && generation === this.storageGeneration;
    const started = performance.now();
    let encodedMs = 0;
    let size = 0;
    finishInSlices(this.snapshotSource.beginSnapshot(), stillWanted)
      .then((bytes) => {
        encodedMs = performance.now() - started;
        size = bytes?.reduce((n, b) => n + b.length, 0) ?? 0;
        return bytes !== null && stillWanted() ? this.storage.snapshot(zxid, bytes) : false;
      })
      .then(async (written) => {
        if (!written || this.closed) return;
        this.log(`snapshot at 0x${zxid.toString(16)}: ${size} bytes, encoded in ${encodedMs.toFixed(0)} ms, written in ${(performance.now() - started - encodedMs).toFixed(0)} ms`);
        this.zab.compact(zxid);
        await this.storage.purge(this.o.snapRetainCount);
      })
      .catch((e: Error) => this.log(`snapshot at 0x${zxid.toString(16)} failed: ${e.message}`))
      .finally(() => {
        this.snapshotting = false;
      });
  }

  private handleEvent(ev: NodeEvent): void {
    switch (ev.type) {
      case 'role': {
        this.zabRole = ev.role;
        this.leaderId = ev.leaderId;
        // ZAB forgets pending syncs and forwarded requests on any role change.
        this.failSyncs('the server lost its leader');
        this.touchedSessions.clear();
        this.log(`ZAB role ${ev.role}${ev.leaderId !== null ? ` (leader ${ev.leaderId})` : ''} epoch ${ev.epoch} ready=${ev.ready}`);
        this.setState(ev.ready ? 'serving' : 'unavailable');
        return;
      }
      case 'snapshotRequest': {
        if (!this.snapshotSource) throw new Error('no snapshot source: setSnapshotSource was not called');
        this.zab.snapshotProvided(ev.requestId, this.appliedZxid, this.snapshotSource.serialize());
        return;
      }
      case 'historyRequest':
        this.supplyHistory(ev);
        return;
      case 'request':
        this.onForwarded(ev.from, ev.payload);
        return;
      case 'syncDone': {
        const p = this.syncs.get(ev.requestId);
        this.syncs.delete(ev.requestId);
        p?.resolve();
        return;
      }
    }
  }

  /** Leader: a learner's DIFF from further back than the in-memory log, read from the log on disk (or a SNAP). */
  private supplyHistory(ev: Extract<NodeEvent, { type: 'historyRequest' }>): void {
    const started = performance.now();
    const after = `0x${ev.afterZxid.toString(16)}`;
    const read =
      ev.afterZxid < this.historyFloor
        ? Promise.resolve(null)
        : this.storage.readHistory(ev.afterZxid, ev.upToZxid, ev.maxTxns).catch((e: Error) => {
            this.log(`reading the log after ${after} for a DIFF failed: ${e.message}`);
            return null;
          });
    void read.then((records) => {
      if (this.closed) return;
      const ms = (performance.now() - started).toFixed(0);
      if (records) this.log(`DIFF: ${records.length} txns after ${after} read from the log on disk in ${ms} ms`);
      else this.log(`DIFF: the log on disk does not hold ${after} and what follows (or more than ${ev.maxTxns} txns): sending a SNAP`);
      this.zab.historyProvided(ev.requestId, records ? records.map((r) => ({ zxid: r.zxid, payload: r.bytes })) : null);
      this.pump();
    });
  }

  private onForwarded(from: number, payload: Buffer): void {
    let f;
    try {
      f = decodeForwarded(payload);
    } catch (e) {
      this.log(`dropping a malformed forwarded request from sid ${from}: ${(e as Error).message}`);
      return;
    }
    if (f.kind === 'sessionActivity') {
      this.sessionActivityHandler(f.sessionIds);
      return;
    }
    if (!this.propose(f.request)) {
      // The follower's client gets no reply and times out onto another server, as with a lost forward in ZooKeeper.
      this.log(`could not propose a write forwarded by sid ${from}`);
    }
  }

  private setState(next: ReplicatorState): void {
    if (next === this.currentState) return;
    this.currentState = next;
    for (const h of this.stateHandlers) h(next);
  }

  private failSyncs(why: string): void {
    const pending = [...this.syncs.values()];
    this.syncs.clear();
    for (const p of pending) p.reject(new ReplicationUnavailableError(why));
  }

  private fatal(e: Error): void {
    this.log(`FATAL replication error, stopping: ${e.stack ?? e.message}`);
    // Continuing after a failed fsync or a broken invariant could ACK what is not durable: stop the process.
    process.exit(3);
  }
}

function roleName(role: Role): ServerRole {
  switch (role) {
    case 'leading':
      return 'leader';
    case 'following':
      return 'follower';
    case 'observing':
      return 'observer';
    case 'looking':
      return 'looking';
  }
}
