/**
 * One ZooKeeper server's share of ZAB as a pure state machine (etcd-raft style): inputs are peer
 * messages, ticks, proposals and storage acknowledgements; outputs accumulate in a Ready that the
 * runtime drains. No clocks, sockets, timers or files: the same inputs always give the same outputs.
 *
 * Phases follow ZooKeeper: Fast Leader Election → discovery (FOLLOWERINFO / LEADERINFO / ACKEPOCH)
 * → synchronisation (DIFF / TRUNC / SNAP, NEWLEADER, ACK, UPTODATE) → broadcast (PROPOSAL / ACK /
 * COMMIT, INFORM to observers), with PINGs bounding everything by syncLimit and initLimit.
 */
import { chooseSync } from './sync.ts';
import { isQuorum } from './election.ts';
import { FastLeaderElection, type ElectionOutput } from './fle.ts';
import { ServerState, type Notification, type PeerMessage, type QuorumBody, type Vote } from './messages.ts';
import { InboundSequencer } from './session.ts';
import { ZabLog } from './log.ts';
import { emptyReady, type LogEntry, type Ready, type Role } from './ready.ts';
import { COUNTER_MASK, epochOf, formatZxid, makeZxid, maxBig, minBig } from './zxid.ts';

export interface ZabConfig {
  myId: number;
  voters: readonly number[];
  observers?: readonly number[];
  /** Ticks a learner may take from choosing a leader to UPTODATE (and a leader to get established). */
  initLimit: number;
  /** Ticks of silence after which a learner drops its leader, or a leader without a quorum steps down. */
  syncLimit: number;
  /** Ticks to wait for a better vote once a quorum agrees (ZooKeeper's finalizeWait). */
  finalizeWaitTicks?: number;
  /** Ticks between re-sending our vote while LOOKING. */
  electionResendTicks?: number;
  /** A DIFF longer than this many txns is replaced by a SNAP. */
  snapThreshold?: number;
  /**
   * Committed, durable txns kept in memory for DIFF (default: snapThreshold). With diskHistory, a learner further
   * behind is sent the older txns read back from the on-disk log (a historyRequest event), as ZooKeeper's leader
   * reads its txn log for a DIFF beyond its in-memory committedLog.
   */
  memoryLogTxns?: number;
  /** The runtime answers historyRequest events from its on-disk log (else a learner behind the memory log gets a SNAP). */
  diskHistory?: boolean;
  /** Uncommitted proposals the leader accepts before propose() says 'busy'. */
  maxOutstanding?: number;
  /** Seeded PRNG in [0, 1) for session ids; the only source of randomness. */
  random: () => number;
}

/** What survives a crash: the runtime reads it back from disk and calls restart(). */
export interface DurableState {
  acceptedEpoch: bigint;
  currentEpoch: bigint;
  /** Zxid of the snapshot the application state was rebuilt from (0 for none). */
  snapshotZxid: bigint;
  /** Durable log entries, ascending; those at or below snapshotZxid are ignored. */
  log: readonly LogEntry[];
}

/** sync() requests a leader holds while earlier proposals commit. */
export const MAX_PENDING_SYNCS = 10_000;

export type ProposeResult = { ok: true; zxid: bigint } | { ok: false; reason: 'not-leader' | 'not-ready' | 'busy' };

export class ZabInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZabInvariantError';
  }
}

type LearnerPhase = 'connecting' | 'discovery' | 'sync' | 'synced' | 'broadcast';

interface LearnerState {
  leaderId: number;
  observer: boolean;
  session: bigint;
  sendSeq: number;
  inbound: InboundSequencer;
  phase: LearnerPhase;
  startedAt: number;
  lastHeard: number;
  epoch: bigint;
  newLeaderZxid: bigint | null;
  /** Our last zxid when NEWLEADER arrived: all of it must be durable before we ACK. */
  syncEnd: bigint;
  ackedNewLeader: boolean;
  lastAckSent: bigint;
  commitTarget: bigint;
  /** A SNAP and the txns after it, held until NEWLEADER so the log is replaced all at once. */
  pendingSnap: { zxid: bigint; data: Buffer; entries: LogEntry[] } | null;
}

type HandlePhase = 'discovery' | 'acked-epoch' | 'awaiting-history' | 'awaiting-snapshot' | 'syncing' | 'synced';

interface LearnerHandle {
  sid: number;
  observer: boolean;
  session: bigint;
  sendSeq: number;
  inbound: InboundSequencer;
  phase: HandlePhase;
  joinedAt: number;
  lastHeard: number;
  acceptedEpoch: bigint;
  peerLastZxid: bigint;
  fresh: boolean;
  acked: bigint;
  /** The historyRequest / snapshotRequest this learner's sync waits for. */
  requestId: number;
}

interface LeaderState {
  startedAt: number;
  newEpoch: bigint | null;
  epochAcked: boolean;
  established: boolean;
  nextCounter: bigint;
  learners: Map<number, LearnerHandle>;
  /** Before establishment: voters that answered our LEADING notification with "I follow leader X" (sid → X). */
  followingOthers: Map<number, number>;
  pendingSyncs: { sid: number | null; session: bigint; requestId: bigint; waitFor: bigint }[];
}

/** Committed, durable txns left as objects before the log packs older ones (see ZabLog): what commits still read. */
const UNPACKED_STABLE_TXNS = 1024;

export class ZabNode {
  readonly myId: number;
  private readonly voters: ReadonlySet<number>;
  private readonly observers: ReadonlySet<number>;
  private readonly snapThreshold: number;
  private readonly memoryLogTxns: number;
  private readonly diskHistory: boolean;
  private readonly maxOutstanding: number;

  private now = 0;
  private out: Ready = emptyReady();
  private role: Role = 'looking';

  private acceptedEpoch = 0n;
  private currentEpoch = 0n;
  private logBase = 0n;
  private log = new ZabLog();
  private persistedZxid = 0n;
  private lastCommitted = 0n;
  private sessionCounter = 0;
  private requestCounter = 0;

  private readonly election: FastLeaderElection;
  /** The vote we settled on, reported to LOOKING peers while we follow or lead. */
  private currentVote: Vote = { leader: -1, zxid: -1n, electionEpoch: 0n, peerEpoch: -1n };

  private learner: LearnerState | null = null;
  private leader: LeaderState | null = null;
  /**
   * FOLLOWERINFO that reached us while we were still looking: a peer that concluded the election before us already
   * follows us. Kept to be handled when we lead, instead of dropped until the learner re-sends on its next tick.
   */
  private earlyFollowerInfo = new Map<number, { session: bigint; body: QuorumBody }>();

  constructor(private readonly config: ZabConfig, state?: DurableState) {
    this.myId = config.myId;
    this.voters = new Set(config.voters);
    this.observers = new Set(config.observers ?? []);
    if (this.voters.size === 0) throw new Error('ZAB needs at least one voter');
    if (!this.voters.has(this.myId) && !this.observers.has(this.myId)) throw new Error(`myid ${this.myId} not in the ensemble`);
    this.election = new FastLeaderElection({
      myId: this.myId,
      voters: this.voters,
      finalizeWaitTicks: config.finalizeWaitTicks ?? 1,
      resendTicks: Math.max(1, config.electionResendTicks ?? 2),
      ownHistory: () => (this.isVoter(this.myId) ? { zxid: this.lastLogged(), peerEpoch: this.currentEpoch } : null),
    });
    this.snapThreshold = config.snapThreshold ?? 1000;
    this.memoryLogTxns = config.memoryLogTxns ?? this.snapThreshold;
    this.diskHistory = config.diskHistory ?? false;
    this.maxOutstanding = config.maxOutstanding ?? 1000;
    this.restart(state ?? { acceptedEpoch: 0n, currentEpoch: 0n, snapshotZxid: 0n, log: [] });
  }

  // ---------------------------------------------------------------- inputs

  /** Power-on after a crash (or first start): everything volatile is forgotten. */
  restart(state: DurableState): void {
    this.out = emptyReady();
    this.acceptedEpoch = state.acceptedEpoch;
    this.currentEpoch = state.currentEpoch;
    this.logBase = state.snapshotZxid;
    const entries = state.log.filter((e) => e.zxid > state.snapshotZxid);
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.zxid <= entries[i - 1]!.zxid) throw new Error('restart: log zxids must ascend');
    }
    this.log.replace(entries);
    this.persistedZxid = this.lastLogged();
    this.lastCommitted = this.logBase;
    this.learner = null;
    this.leader = null;
    this.lookForLeader();
  }

  tick(): void {
    this.now++;
    if (this.role === 'looking') this.afterElection(this.election.tick(this.now));
    else if (this.leader) this.tickLeader(this.leader);
    else if (this.learner) this.tickLearner(this.learner);
  }

  step(from: number, message: PeerMessage): void {
    if (from === this.myId || !this.isMember(from)) return;
    if (message.kind === 'notification') this.onNotification(from, message);
    else if (this.leader) this.onLeaderPacket(this.leader, from, message.session, message.seq, message.body);
    else if (message.seq === 0 && message.body.type === 'FOLLOWERINFO') this.onFollowerInfoWhileNotLeading(from, message.session, message.body);
    else if (this.learner) this.onLearnerPacket(this.learner, from, message.session, message.seq, message.body);
  }

  /**
   * A peer picked us as leader. While looking we may still become it (kept and replayed by becomeLeader);
   * once we follow someone else, the peer concluded a round that moved on without it, so tell it whom we
   * follow: without that it would wait initLimit ticks (20 s by default) for a leader that never answers.
   */
  private onFollowerInfoWhileNotLeading(from: number, session: bigint, body: QuorumBody): void {
    if (!this.learner) {
      this.earlyFollowerInfo.set(from, { session, body });
      return;
    }
    this.out.messages.push({ to: from, message: this.voteNotification() });
  }

  private voteNotification(): Notification {
    const v = this.currentVote;
    return { kind: 'notification', state: stateOf(this.role), leader: v.leader, zxid: v.zxid, electionEpoch: v.electionEpoch, peerEpoch: v.peerEpoch };
  }

  /** Leader only: assigns the next zxid and starts broadcasting the txn. */
  propose(payload: Buffer): ProposeResult {
    const l = this.leader;
    if (!l) return { ok: false, reason: 'not-leader' };
    if (!l.established || l.newEpoch === null) return { ok: false, reason: 'not-ready' };
    if (this.log.length - this.indexAfter(this.lastCommitted) >= this.maxOutstanding) return { ok: false, reason: 'busy' };
    if (l.nextCounter > COUNTER_MASK) {
      // The counter would wrap into the next epoch's space; ZooKeeper forces a new election instead.
      this.lookForLeader();
      return { ok: false, reason: 'not-leader' };
    }
    const entry: LogEntry = { zxid: makeZxid(l.newEpoch, l.nextCounter), payload };
    l.nextCounter++;
    this.appendToLog(entry);
    for (const h of l.learners.values()) {
      if (!h.observer && isForwarding(h)) this.sendToLearner(h, { type: 'PROPOSAL', zxid: entry.zxid, payload });
    }
    this.tryCommit(l);
    return { ok: true, zxid: entry.zxid };
  }

  /** Storage reports that every log entry up to this zxid is durable. */
  persisted(upToZxid: bigint): void {
    this.persistedZxid = maxBig(this.persistedZxid, minBig(upToZxid, this.lastLogged()));
    if (this.learner) this.maybeAck(this.learner);
    if (this.leader) {
      this.advanceLeader(this.leader);
      this.tryCommit(this.leader);
    }
  }

  /** Answer to a snapshotRequest event: the application state as of `zxid` (its last applied txn). */
  snapshotProvided(requestId: number, zxid: bigint, data: Buffer): void {
    const l = this.leader;
    if (!l) return;
    for (const h of l.learners.values()) {
      if (h.phase !== 'awaiting-snapshot' || h.requestId !== requestId) continue;
      if (zxid < this.logBase || zxid > this.lastCommitted || !this.hasZxid(zxid)) {
        // The log can no longer continue from that point; the learner will reconnect and retry.
        this.dropLearner(l, h);
        return;
      }
      this.sendToLearner(h, { type: 'SNAP', zxid, data });
      this.sendSyncTail(l, h, this.indexAfter(zxid));
      return;
    }
  }

  /**
   * Answer to a historyRequest event: the logged txns after the learner's last zxid up to the in-memory log's base,
   * or null when the on-disk log cannot supply them (the learner is sent a SNAP instead).
   */
  historyProvided(requestId: number, entries: readonly LogEntry[] | null): void {
    const l = this.leader;
    if (!l) return;
    for (const h of l.learners.values()) {
      if (h.phase !== 'awaiting-history' || h.requestId !== requestId) continue;
      if (!entries || !this.bridgesToLog(h.peerLastZxid, entries)) return this.requestSnapshot(h);
      this.sendToLearner(h, { type: 'DIFF' });
      for (const e of entries) this.sendToLearner(h, { type: 'PROPOSAL', zxid: e.zxid, payload: e.payload });
      this.sendSyncTail(l, h, 0);
      return;
    }
  }

  /** The application snapshotted its state at `zxid`: log entries up to it may be forgotten. */
  compact(zxid: bigint): void {
    if (this.historyPinned()) return;
    const limit = minBig(zxid, minBig(this.lastCommitted, this.persistedZxid));
    const keepFrom = this.indexAfter(limit);
    if (keepFrom === 0) return;
    this.logBase = this.log.zxidAt(keepFrom - 1);
    this.log.dropFirst(keepFrom);
  }

  /** Learner: forward a client write to the leader. False when not connected to an up-to-date leader. */
  forwardRequest(requestId: bigint, payload: Buffer): boolean {
    const f = this.learner;
    if (!f || f.phase !== 'broadcast') return false;
    this.sendToLeader(f, { type: 'REQUEST', requestId, payload });
    return true;
  }

  /** ZooKeeper's sync(): a syncDone event follows once everything proposed before now is committed here. */
  sync(requestId: bigint): boolean {
    const f = this.learner;
    if (f && f.phase === 'broadcast') {
      this.sendToLeader(f, { type: 'SYNC', requestId });
      return true;
    }
    const l = this.leader;
    if (l && l.established && l.pendingSyncs.length < MAX_PENDING_SYNCS) {
      l.pendingSyncs.push({ sid: null, session: 0n, requestId, waitFor: this.lastLogged() });
      this.resolveSyncs(l);
      return true;
    }
    return false;
  }

  /** Collects everything the node wants done since the last drain. */
  drain(): Ready {
    // Here, between inputs, so no handler holds a log index across the trim.
    this.trimCommitted();
    const r = this.out;
    this.out = emptyReady();
    return r;
  }

  // ---------------------------------------------------------------- introspection

  get state(): {
    role: Role;
    leaderId: number | null;
    ready: boolean;
    epoch: bigint | null;
    acceptedEpoch: bigint;
    currentEpoch: bigint;
    lastLoggedZxid: bigint;
    lastCommittedZxid: bigint;
    persistedZxid: bigint;
    logBase: bigint;
    logicalClock: bigint;
  } {
    const l = this.leader;
    const f = this.learner;
    return {
      role: this.role,
      leaderId: l ? this.myId : f ? f.leaderId : null,
      ready: l ? l.established : f ? f.phase === 'broadcast' : false,
      epoch: l ? l.newEpoch : f && f.phase !== 'connecting' && f.phase !== 'discovery' ? f.epoch : null,
      acceptedEpoch: this.acceptedEpoch,
      currentEpoch: this.currentEpoch,
      lastLoggedZxid: this.lastLogged(),
      lastCommittedZxid: this.lastCommitted,
      persistedZxid: this.persistedZxid,
      logBase: this.logBase,
      logicalClock: this.election.logicalClock,
    };
  }

  /** Leader only (null otherwise): connected learners, those synced, and sync() requests waiting (for mntr). */
  leaderStats(): { learners: number; synced: number; pendingSyncs: number } | null {
    const l = this.leader;
    if (!l) return null;
    let synced = 0;
    for (const h of l.learners.values()) if (h.phase === 'synced') synced++;
    return { learners: l.learners.size, synced, pendingSyncs: l.pendingSyncs.length };
  }

  /** The in-memory log after logBase (committed and proposed txns). */
  logEntries(): readonly LogEntry[] {
    return this.log.toArray();
  }

  // ---------------------------------------------------------------- election

  private lookForLeader(): void {
    this.learner = null;
    this.leader = null;
    this.earlyFollowerInfo.clear();
    this.setRole('looking', null, this.currentEpoch, false);
    this.afterElection(this.election.start(this.now));
  }

  private onNotification(from: number, n: Notification): void {
    if (this.role === 'looking') {
      this.afterElection(this.election.onNotification(this.now, from, n));
      return;
    }
    const f = this.learner;
    if (f && from === f.leaderId && f.phase === 'connecting' && (n.state === ServerState.FOLLOWING || n.state === ServerState.OBSERVING)) {
      // The peer we chose as leader follows someone else (its answer to our FOLLOWERINFO): elect again now.
      this.electAgainWith(from, n);
      return;
    }
    if (f && from !== f.leaderId && n.state === ServerState.LEADING) {
      // A rival that is not established yet asks; say whom we follow (announceLeading).
      this.out.messages.push({ to: from, message: this.voteNotification() });
      return;
    }
    const l = this.leader;
    if (l && !l.established && n.state === ServerState.FOLLOWING && n.leader !== this.myId && this.isVoter(from)) {
      l.followingOthers.set(from, n.leader);
      if (!this.quorumStillPossible(l)) this.electAgainWith(from, n);
      return;
    }
    // Settled: tell a LOOKING peer whom we follow, so it can join without a new round.
    if (n.state !== ServerState.LOOKING) return;
    this.out.messages.push({ to: from, message: this.voteNotification() });
  }

  /** Back to LOOKING, with the notification that showed our choice was stale counted in the new round. */
  private electAgainWith(from: number, n: Notification): void {
    this.lookForLeader();
    this.afterElection(this.election.onNotification(this.now, from, n));
  }

  private afterElection(result: ElectionOutput): void {
    for (const s of result.send) this.out.messages.push(s);
    const vote = result.elected;
    if (!vote) return;
    this.currentVote = vote;
    if (vote.leader === this.myId) this.becomeLeader();
    else this.becomeLearner(vote.leader);
  }

  // ---------------------------------------------------------------- learner (follower / observer)

  private becomeLearner(leaderId: number): void {
    this.earlyFollowerInfo.clear();
    const observer = !this.isVoter(this.myId);
    this.learner = {
      leaderId,
      observer,
      session: this.newSession(),
      sendSeq: 0,
      inbound: new InboundSequencer(),
      phase: 'connecting',
      startedAt: this.now,
      lastHeard: this.now,
      epoch: -1n,
      newLeaderZxid: null,
      syncEnd: 0n,
      ackedNewLeader: false,
      lastAckSent: -1n,
      commitTarget: this.lastCommitted,
      pendingSnap: null,
    };
    this.setRole(observer ? 'observing' : 'following', leaderId, this.currentEpoch, false);
    this.sendFollowerInfo(this.learner);
  }

  private sendFollowerInfo(f: LearnerState): void {
    const body: QuorumBody = { type: 'FOLLOWERINFO', acceptedEpoch: this.acceptedEpoch, lastZxid: this.lastLogged(), observer: f.observer };
    // Always seq 0: a resend is a duplicate of the same opening packet.
    this.out.messages.push({ to: f.leaderId, message: { kind: 'quorum', session: f.session, seq: 0, body } });
    if (f.sendSeq === 0) f.sendSeq = 1;
  }

  private tickLearner(f: LearnerState): void {
    if (f.phase === 'broadcast') {
      if (this.now - f.lastHeard > this.config.syncLimit) this.lookForLeader();
      return;
    }
    if (this.now - f.startedAt > this.config.initLimit) {
      this.lookForLeader();
      return;
    }
    if (f.phase === 'connecting') this.sendFollowerInfo(f);
  }

  private onLearnerPacket(f: LearnerState, from: number, session: bigint, seq: number, body: QuorumBody): void {
    if (from !== f.leaderId || session !== f.session) return;
    const bodies = f.inbound.accept(seq, body);
    if (bodies === null) {
      this.lookForLeader();
      return;
    }
    for (const b of bodies) {
      if (this.learner !== f) return;
      f.lastHeard = this.now;
      if (f.phase === 'connecting') f.phase = 'discovery';
      this.onLearnerBody(f, b);
    }
  }

  private onLearnerBody(f: LearnerState, b: QuorumBody): void {
    switch (b.type) {
      case 'LEADERINFO': {
        if (f.phase !== 'discovery' || b.newEpoch < this.acceptedEpoch) return this.lookForLeader();
        const fresh = b.newEpoch > this.acceptedEpoch;
        if (fresh) {
          this.acceptedEpoch = b.newEpoch;
          this.persistEpochs();
        }
        f.epoch = b.newEpoch;
        f.phase = 'sync';
        this.sendToLeader(f, { type: 'ACKEPOCH', currentEpoch: this.currentEpoch, lastZxid: this.lastLogged(), fresh });
        return;
      }
      case 'DIFF':
        if (f.phase !== 'sync') return this.lookForLeader();
        return;
      case 'TRUNC':
        if (f.phase !== 'sync') return this.lookForLeader();
        this.truncateLog(b.zxid);
        return;
      case 'SNAP':
        if (f.phase !== 'sync' || f.pendingSnap) return this.lookForLeader();
        f.pendingSnap = { zxid: b.zxid, data: b.data, entries: [] };
        return;
      case 'PROPOSAL': {
        if (f.phase === 'connecting' || f.phase === 'discovery') return this.lookForLeader();
        const snap = f.pendingSnap;
        if (snap) {
          const last = snap.entries[snap.entries.length - 1]?.zxid ?? snap.zxid;
          if (b.zxid <= last || epochOf(b.zxid) > f.epoch) return this.lookForLeader();
          snap.entries.push({ zxid: b.zxid, payload: b.payload });
          return;
        }
        if (b.zxid <= this.lastLogged() || epochOf(b.zxid) > f.epoch) return this.lookForLeader();
        this.appendToLog({ zxid: b.zxid, payload: b.payload });
        this.applyCommits(f);
        return;
      }
      case 'NEWLEADER':
        if (f.phase !== 'sync' || epochOf(b.zxid) !== f.epoch) return this.lookForLeader();
        if (f.pendingSnap) this.installSnapshot(f, f.pendingSnap);
        f.newLeaderZxid = b.zxid;
        f.syncEnd = this.lastLogged();
        f.phase = 'synced';
        this.maybeAck(f);
        return;
      case 'COMMIT':
        f.commitTarget = maxBig(f.commitTarget, b.zxid);
        this.applyCommits(f);
        return;
      case 'UPTODATE':
        if (f.phase !== 'synced' || !f.ackedNewLeader) return this.lookForLeader();
        f.phase = 'broadcast';
        this.setRole(this.role, f.leaderId, f.epoch, true);
        return;
      case 'INFORM':
        if (!f.observer || f.phase === 'connecting' || f.phase === 'discovery') return this.lookForLeader();
        if (b.zxid > this.lastLogged()) this.appendToLog({ zxid: b.zxid, payload: b.payload });
        f.commitTarget = maxBig(f.commitTarget, b.zxid);
        this.applyCommits(f);
        return;
      case 'PING':
        this.sendToLeader(f, { type: 'PING' });
        return;
      case 'SYNC':
        this.out.events.push({ type: 'syncDone', requestId: b.requestId });
        return;
      default:
        return;
    }
  }

  private truncateLog(zxid: bigint): void {
    if (zxid < this.lastCommitted) {
      throw new ZabInvariantError(`TRUNC to ${formatZxid(zxid)} below committed ${formatZxid(this.lastCommitted)}`);
    }
    this.log.keepFirst(this.indexAfter(zxid));
    this.persistedZxid = minBig(this.persistedZxid, this.lastLogged());
    this.out.storage.push({ op: 'truncate', afterZxid: zxid });
  }

  private installSnapshot(f: LearnerState, snap: NonNullable<LearnerState['pendingSnap']>): void {
    f.pendingSnap = null;
    this.log.replace(snap.entries);
    this.logBase = snap.zxid;
    this.lastCommitted = snap.zxid;
    this.persistedZxid = this.lastLogged();
    f.commitTarget = maxBig(f.commitTarget, snap.zxid);
    this.out.storage.push({ op: 'snapshot', zxid: snap.zxid, data: snap.data, entries: snap.entries.slice() });
    this.out.apply.push({ op: 'restore', zxid: snap.zxid, data: snap.data });
    this.applyCommits(f);
  }

  /** ACK NEWLEADER once the synced history is durable, then ACK proposals as they become durable. */
  private maybeAck(f: LearnerState): void {
    if (f.newLeaderZxid === null || this.persistedZxid < f.syncEnd) return;
    if (!f.ackedNewLeader) {
      f.ackedNewLeader = true;
      // Only now: an epoch must never be durable ahead of the history it vouches for.
      if (this.currentEpoch !== f.epoch) {
        this.currentEpoch = f.epoch;
        this.persistEpochs();
      }
      this.updateElectionVote(f.epoch);
      if (f.observer) this.sendToLeader(f, { type: 'ACK', zxid: f.newLeaderZxid });
    }
    if (f.observer) return;
    const ack = maxBig(f.newLeaderZxid, this.persistedZxid);
    if (ack > f.lastAckSent) {
      f.lastAckSent = ack;
      this.sendToLeader(f, { type: 'ACK', zxid: ack });
    }
  }

  private applyCommits(f: LearnerState): void {
    if (f.pendingSnap) return;
    const target = minBig(f.commitTarget, this.lastLogged());
    this.commitUpTo(target);
  }

  private sendToLeader(f: LearnerState, body: QuorumBody): void {
    this.out.messages.push({ to: f.leaderId, message: { kind: 'quorum', session: f.session, seq: f.sendSeq++, body } });
  }

  // ---------------------------------------------------------------- leader

  private becomeLeader(): void {
    this.leader = {
      startedAt: this.now,
      newEpoch: null,
      epochAcked: false,
      established: false,
      nextCounter: 1n,
      learners: new Map(),
      followingOthers: new Map(),
      pendingSyncs: [],
    };
    this.setRole('leading', this.myId, this.currentEpoch, false);
    const early = [...this.earlyFollowerInfo];
    this.earlyFollowerInfo.clear();
    for (const [sid, info] of early) if (this.leader) this.onLeaderPacket(this.leader, sid, info.session, 0, info.body);
    if (this.leader) this.advanceLeader(this.leader);
  }

  private tickLeader(l: LeaderState): void {
    for (const h of [...l.learners.values()]) {
      const limit = h.phase === 'synced' ? this.config.syncLimit : this.config.initLimit;
      const since = h.phase === 'synced' ? h.lastHeard : h.joinedAt;
      if (this.now - since > limit) this.dropLearner(l, h);
    }
    if (!l.established) {
      if (this.now - l.startedAt > this.config.initLimit) this.lookForLeader();
      else this.announceLeading(l);
      return;
    }
    let alive = 1;
    for (const h of l.learners.values()) if (h.phase === 'synced' && !h.observer && this.isVoter(h.sid)) alive++;
    if (!isQuorum(alive, this.voters.size)) {
      this.lookForLeader();
      return;
    }
    for (const h of l.learners.values()) if (isForwarding(h)) this.sendToLearner(h, { type: 'PING' });
  }

  /**
   * While not established, tell every voter that has not joined that we lead. A voter that follows someone
   * else answers (onNotification); once too many do for a quorum to remain, we elect again instead of
   * waiting out initLimit. Only learners answer (with FOLLOWING) and nobody answers a FOLLOWING, so this cannot echo.
   */
  private announceLeading(l: LeaderState): void {
    for (const id of this.voters) {
      if (id !== this.myId && !l.learners.has(id)) this.out.messages.push({ to: id, message: this.voteNotification() });
    }
  }

  /** Voters that could still join us: not already following another leader, and not such a leader. */
  private quorumStillPossible(l: LeaderState): boolean {
    const lost = new Set<number>();
    for (const [sid, leader] of l.followingOthers) {
      if (l.learners.has(sid)) continue;
      lost.add(sid);
      lost.add(leader);
    }
    let possible = 0;
    for (const id of this.voters) if (!lost.has(id)) possible++;
    return isQuorum(possible, this.voters.size);
  }

  private onLeaderPacket(l: LeaderState, from: number, session: bigint, seq: number, body: QuorumBody): void {
    let h = l.learners.get(from);
    if (!h || h.session !== session) {
      if (seq !== 0 || body.type !== 'FOLLOWERINFO' || body.observer !== !this.isVoter(from)) return;
      if (h) this.dropLearner(l, h);
      h = {
        sid: from,
        observer: body.observer,
        session,
        sendSeq: 0,
        inbound: new InboundSequencer(),
        phase: 'discovery',
        joinedAt: this.now,
        lastHeard: this.now,
        acceptedEpoch: -1n,
        peerLastZxid: 0n,
        fresh: false,
        acked: -1n,
        requestId: -1,
      };
      l.learners.set(from, h);
    }
    const bodies = h.inbound.accept(seq, body);
    if (bodies === null) {
      this.dropLearner(l, h);
      return;
    }
    for (const b of bodies) {
      if (this.leader !== l || l.learners.get(from) !== h) return;
      h.lastHeard = this.now;
      this.onLeaderBody(l, h, b);
    }
  }

  private onLeaderBody(l: LeaderState, h: LearnerHandle, b: QuorumBody): void {
    switch (b.type) {
      case 'FOLLOWERINFO':
        h.acceptedEpoch = b.acceptedEpoch;
        if (l.newEpoch !== null && b.acceptedEpoch > l.newEpoch) {
          // It promised a later epoch and would refuse ours forever; a new election picks one above it.
          this.lookForLeader();
          return;
        }
        if (l.newEpoch !== null) this.sendToLearner(h, { type: 'LEADERINFO', newEpoch: l.newEpoch });
        else this.advanceLeader(l);
        return;
      case 'ACKEPOCH': {
        if (h.phase !== 'discovery' || l.newEpoch === null) return this.dropLearner(l, h);
        const ahead = b.currentEpoch > this.currentEpoch || (b.currentEpoch === this.currentEpoch && b.lastZxid > this.lastLogged());
        if (!h.observer && !l.established && ahead) {
          // A quorum member knows more history than we do: we must not lead this epoch.
          this.lookForLeader();
          return;
        }
        h.peerLastZxid = b.lastZxid;
        h.fresh = b.fresh;
        h.phase = 'acked-epoch';
        if (l.epochAcked) this.startSync(l, h);
        else this.advanceLeader(l);
        return;
      }
      case 'ACK':
        if (b.zxid > h.acked) h.acked = b.zxid;
        if (h.phase === 'syncing' && l.newEpoch !== null && h.acked >= makeZxid(l.newEpoch, 0)) {
          h.phase = 'synced';
          if (l.established) this.sendToLearner(h, { type: 'UPTODATE' });
          else this.advanceLeader(l);
        }
        this.tryCommit(l);
        return;
      case 'REQUEST':
        this.out.events.push({ type: 'request', from: h.sid, requestId: b.requestId, payload: b.payload });
        return;
      case 'SYNC':
        // Beyond the limit the learner's client times out and retries rather than the leader growing without bound.
        if (!l.established || l.pendingSyncs.length >= MAX_PENDING_SYNCS) return;
        l.pendingSyncs.push({ sid: h.sid, session: h.session, requestId: b.requestId, waitFor: this.lastLogged() });
        this.resolveSyncs(l);
        return;
      default:
        return;
    }
  }

  /** Moves the leader through discovery and sync as soon as each quorum condition holds. */
  private advanceLeader(l: LeaderState): void {
    if (this.leader !== l) return;
    if (l.newEpoch === null) {
      let connected = 1;
      let maxAccepted = this.acceptedEpoch;
      for (const h of l.learners.values()) {
        if (h.acceptedEpoch < 0n) continue;
        if (!h.observer && this.isVoter(h.sid)) connected++;
        maxAccepted = maxBig(maxAccepted, h.acceptedEpoch);
      }
      if (!isQuorum(connected, this.voters.size)) return;
      l.newEpoch = maxAccepted + 1n;
      this.acceptedEpoch = l.newEpoch;
      this.persistEpochs();
      for (const h of l.learners.values()) {
        if (h.phase === 'discovery' && h.acceptedEpoch >= 0n) this.sendToLearner(h, { type: 'LEADERINFO', newEpoch: l.newEpoch });
      }
    }
    if (!l.epochAcked) {
      let acked = 1;
      for (const h of l.learners.values()) if (h.phase !== 'discovery' && h.fresh && this.isVoter(h.sid)) acked++;
      // Our own history must be durable before we vouch for it with a new currentEpoch.
      if (!isQuorum(acked, this.voters.size) || this.persistedZxid < this.lastLogged()) return;
      l.epochAcked = true;
      this.currentEpoch = l.newEpoch;
      this.persistEpochs();
      this.updateElectionVote(l.newEpoch);
      for (const h of l.learners.values()) if (h.phase === 'acked-epoch') this.startSync(l, h);
    }
    if (!l.established) {
      let synced = 1;
      for (const h of l.learners.values()) if (h.phase === 'synced' && h.fresh && this.isVoter(h.sid)) synced++;
      if (isQuorum(synced, this.voters.size)) this.establish(l);
    }
  }

  private establish(l: LeaderState): void {
    l.established = true;
    l.nextCounter = 1n;
    // Our whole history is now the new epoch's starting point, durable on a quorum: committed.
    this.commitUpTo(this.lastLogged());
    for (const h of l.learners.values()) {
      if (!isForwarding(h)) continue;
      this.sendToLearner(h, { type: 'COMMIT', zxid: this.lastCommitted });
      if (h.phase === 'synced') this.sendToLearner(h, { type: 'UPTODATE' });
    }
    this.setRole('leading', this.myId, l.newEpoch!, true);
  }

  private startSync(l: LeaderState, h: LearnerHandle): void {
    const plan = chooseSync({ base: this.logBase, zxids: this.log.zxids() }, h.peerLastZxid, this.snapThreshold);
    if (plan.mode === 'SNAP') {
      const maxTxns = this.snapThreshold - this.log.length;
      if (this.diskHistory && h.peerLastZxid < this.logBase && maxTxns > 0) return this.requestHistory(h, maxTxns);
      return this.requestSnapshot(h);
    }
    if (plan.mode === 'TRUNC') this.sendToLearner(h, { type: 'TRUNC', zxid: plan.truncateTo });
    else this.sendToLearner(h, { type: 'DIFF' });
    this.sendSyncTail(l, h, plan.sendFrom);
  }

  /** Until it is answered, the log's base stays where the request's upToZxid put it (historyPinned). */
  private requestHistory(h: LearnerHandle, maxTxns: number): void {
    h.phase = 'awaiting-history';
    h.requestId = this.requestCounter++;
    this.out.events.push({ type: 'historyRequest', requestId: h.requestId, afterZxid: h.peerLastZxid, upToZxid: this.logBase, maxTxns });
  }

  private requestSnapshot(h: LearnerHandle): void {
    h.phase = 'awaiting-snapshot';
    h.requestId = this.requestCounter++;
    this.out.events.push({ type: 'snapshotRequest', requestId: h.requestId });
  }

  /**
   * The txns read from disk run from just after the learner's last zxid up to the in-memory log's base, with no gap:
   * a history's counters run 1, 2, 3 … within each epoch, so a hole (a purged file, an abandoned txn left on disk
   * beside the snapshot that replaced it) shows as a skipped counter.
   */
  private bridgesToLog(peerLastZxid: bigint, entries: readonly LogEntry[]): boolean {
    if (entries.length === 0 || entries[entries.length - 1]!.zxid !== this.logBase) return false;
    let previous = peerLastZxid;
    for (const e of entries) {
      if (!followsInHistory(previous, e.zxid)) return false;
      previous = e.zxid;
    }
    return true;
  }

  /** A learner's DIFF is being read from disk up to the log's base: the base must not move meanwhile. */
  private historyPinned(): boolean {
    if (!this.leader) return false;
    for (const h of this.leader.learners.values()) if (h.phase === 'awaiting-history') return true;
    return false;
  }

  private sendSyncTail(l: LeaderState, h: LearnerHandle, from: number): void {
    for (let i = from; i < this.log.length; i++) {
      const e = this.log.at(i);
      this.sendToLearner(h, { type: 'PROPOSAL', zxid: e.zxid, payload: e.payload });
    }
    if (l.established) this.sendToLearner(h, { type: 'COMMIT', zxid: this.lastCommitted });
    this.sendToLearner(h, { type: 'NEWLEADER', zxid: makeZxid(l.newEpoch!, 0) });
    h.phase = 'syncing';
  }

  /** Commits the longest prefix a quorum (the leader's own durable log included) has acknowledged. */
  private tryCommit(l: LeaderState): void {
    if (!l.established || this.leader !== l) return;
    const acks: bigint[] = [this.persistedZxid];
    for (const h of l.learners.values()) if (h.phase === 'synced' && this.isVoter(h.sid)) acks.push(h.acked);
    const need = Math.floor(this.voters.size / 2) + 1;
    if (acks.length < need) return;
    acks.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    const target = minBig(acks[need - 1]!, this.lastLogged());
    if (target <= this.lastCommitted) return;
    const from = this.indexAfter(this.lastCommitted);
    this.commitUpTo(target);
    const to = this.indexAfter(this.lastCommitted);
    for (const h of l.learners.values()) {
      if (!isForwarding(h)) continue;
      if (!h.observer) {
        this.sendToLearner(h, { type: 'COMMIT', zxid: this.lastCommitted });
        continue;
      }
      for (let i = from; i < to; i++) {
        const e = this.log.at(i);
        this.sendToLearner(h, { type: 'INFORM', zxid: e.zxid, payload: e.payload });
      }
    }
    this.resolveSyncs(l);
  }

  private resolveSyncs(l: LeaderState): void {
    const waiting: LeaderState['pendingSyncs'] = [];
    for (const s of l.pendingSyncs) {
      if (s.waitFor > this.lastCommitted) {
        waiting.push(s);
        continue;
      }
      if (s.sid === null) {
        this.out.events.push({ type: 'syncDone', requestId: s.requestId });
        continue;
      }
      const h = l.learners.get(s.sid);
      if (h && h.session === s.session) this.sendToLearner(h, { type: 'SYNC', requestId: s.requestId });
    }
    l.pendingSyncs = waiting;
  }

  private dropLearner(l: LeaderState, h: LearnerHandle): void {
    if (l.learners.get(h.sid) === h) l.learners.delete(h.sid);
    l.pendingSyncs = l.pendingSyncs.filter((s) => s.sid !== h.sid || s.session !== h.session);
  }

  private sendToLearner(h: LearnerHandle, body: QuorumBody): void {
    this.out.messages.push({ to: h.sid, message: { kind: 'quorum', session: h.session, seq: h.sendSeq++, body } });
  }

  // ---------------------------------------------------------------- shared helpers

  private appendToLog(entry: LogEntry): void {
    if (entry.zxid <= this.lastLogged()) {
      throw new ZabInvariantError(`zxid ${formatZxid(entry.zxid)} does not follow ${formatZxid(this.lastLogged())}`);
    }
    this.log.push(entry);
    this.out.storage.push({ op: 'append', entry });
  }

  private commitUpTo(target: bigint): void {
    for (let i = this.indexAfter(this.lastCommitted); i < this.log.length; i++) {
      const e = this.log.at(i);
      if (e.zxid > target) break;
      this.out.apply.push({ op: 'commit', entry: e });
      this.lastCommitted = e.zxid;
    }
  }

  /**
   * Forgets committed, persisted entries older than the newest memoryLogTxns: a learner that far behind is sent them
   * from the on-disk log (diskHistory) or a SNAP, so in memory they only cost memory (ZooKeeper keeps 500 there).
   * Trimmed in steps of a quarter of that count so the copy is rare, and never while a learner's history is being
   * read up to the current base. The application's log on disk is not touched. What is left and stable is packed
   * (ZabLog.pack).
   */
  private trimCommitted(): void {
    const stable = this.indexAfter(minBig(this.lastCommitted, this.persistedZxid));
    const removable = stable - this.memoryLogTxns;
    if (removable >= Math.max(1, this.memoryLogTxns >> 2) && !this.historyPinned()) {
      this.logBase = this.log.zxidAt(removable - 1);
      this.log.dropFirst(removable);
    }
    this.log.pack(this.indexAfter(minBig(this.lastCommitted, this.persistedZxid)), UNPACKED_STABLE_TXNS);
  }

  /**
   * Members that joined one leader at different times concluded with different votes; answering
   * with the epoch we now serve lets a newcomer see a quorum agree (ZooKeeper's updateElectionVote).
   */
  private updateElectionVote(epoch: bigint): void {
    this.currentVote = { ...this.currentVote, peerEpoch: epoch };
  }

  private persistEpochs(): void {
    this.out.storage.push({ op: 'epochs', acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch });
  }

  private setRole(role: Role, leaderId: number | null, epoch: bigint, ready: boolean): void {
    this.role = role;
    this.out.events.push({ type: 'role', role, leaderId, epoch, ready });
  }

  private lastLogged(): bigint {
    return this.log.length > 0 ? this.log.zxidAt(this.log.length - 1) : this.logBase;
  }

  /** Index of the first log entry with a zxid above `zxid`. */
  private indexAfter(zxid: bigint): number {
    return this.log.indexAfter(zxid);
  }

  private hasZxid(zxid: bigint): boolean {
    if (zxid === this.logBase) return true;
    const i = this.indexAfter(zxid);
    return i > 0 && this.log.zxidAt(i - 1) === zxid;
  }

  private newSession(): bigint {
    const r = BigInt(Math.floor(this.config.random() * 2 ** 52));
    return r * 2048n + BigInt(this.sessionCounter++ & 2047);
  }

  private isVoter(id: number): boolean {
    return this.voters.has(id);
  }

  private isMember(id: number): boolean {
    return this.voters.has(id) || this.observers.has(id);
  }
}

/** `next` is the txn right after `previous` in a history: the next counter of its epoch, or a later epoch's first. */
function followsInHistory(previous: bigint, next: bigint): boolean {
  if (epochOf(next) === epochOf(previous)) return next === previous + 1n;
  return epochOf(next) > epochOf(previous) && (next & COUNTER_MASK) === 1n;
}

function isForwarding(h: LearnerHandle): boolean {
  return h.phase === 'syncing' || h.phase === 'synced';
}

function stateOf(role: Role): ServerState {
  switch (role) {
    case 'looking':
      return ServerState.LOOKING;
    case 'following':
      return ServerState.FOLLOWING;
    case 'leading':
      return ServerState.LEADING;
    case 'observing':
      return ServerState.OBSERVING;
  }
}
