/**
 * Deterministic simulation of a ZAB ensemble: the real ZabNode state machines over a simulated
 * network (delay, loss, duplication, reordering, partitions) and simulated disks (unflushed
 * appends lost on crash, persisted() delivered late), driven by one seeded PRNG. A chaos phase is
 * followed by a healed phase in which a leader must be elected and commits must resume in bounded time.
 */
import { ZabNode, decode, encode, type PeerMessage, type Ready } from '../../ensemble/zab/index.ts';
import { Checker, InvariantViolation } from './checker.ts';
import { SimDisk, type AppliedTxn } from './disk.ts';
import { EventQueue } from './event-queue.ts';
import { Prng } from './prng.ts';

/** Simulated time units per tick: messages and disk flushes land between ticks. */
const UNITS_PER_TICK = 10;

export interface SimOptions {
  seed: number;
  voters: number;
  observers?: number;
  /** Ticks of faults before everything heals. */
  chaosTicks?: number;
  /** After healing, commits must reach every server within this many ticks. */
  livenessTicks?: number;
  /** Route every Nth message through the binary codec (0 = never). */
  codecEvery?: number;
  /** Sabotage for testing the checker: the disk acknowledges appends it never makes durable. */
  lyingDisk?: boolean;
  /** Receives a line per notable event (role changes, faults), for replaying a failure by eye. */
  trace?: (line: string) => void;
}

export interface SimReport {
  seed: number;
  voters: number;
  observers: number;
  committed: number;
  establishedEpochs: number;
  messages: number;
  crashes: number;
  partitions: number;
  snapshotsSent: number;
  /** DIFFs whose older txns were read back from the simulated disk (diskHistory). */
  historyDiffs: number;
  truncations: number;
  forwarded: number;
  ticksToRecover: number;
}

export class SimFailure extends Error {
  constructor(readonly seed: number, readonly failure: unknown, replay: string) {
    super(`seed ${seed}: ${(failure as Error)?.message ?? String(failure)}\n  replay: ${replay}`);
    this.name = 'SimFailure';
  }
}

interface Server {
  id: number;
  node: ZabNode;
  disk: SimDisk;
  applied: AppliedTxn[];
  up: boolean;
  incarnation: number;
  flushScheduled: boolean;
  restartAt: number;
}

type SimEvent =
  | { k: 'world' }
  | { k: 'tick'; id: number }
  | { k: 'deliver'; from: number; to: number; msg: PeerMessage }
  | { k: 'flush'; id: number; inc: number }
  | { k: 'persisted'; id: number; inc: number; zxid: bigint }
  | { k: 'history'; id: number; inc: number; requestId: number; afterZxid: bigint; upToZxid: bigint; maxTxns: number };

export function replayCommand(o: SimOptions): string {
  const extra = `${o.chaosTicks !== undefined ? ` CHAOS=${o.chaosTicks}` : ''}${o.lyingDisk ? ' LYING_DISK=1' : ''}`;
  return `SEED=${o.seed} VOTERS=${o.voters} OBSERVERS=${o.observers ?? 0}${extra} npx tsx tests/sim/run.ts`;
}

export function simulate(options: SimOptions): SimReport {
  try {
    return new Simulation(options).run();
  } catch (err) {
    throw new SimFailure(options.seed, err, replayCommand(options));
  }
}

class Simulation {
  private readonly rng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly checker = new Checker();
  private readonly servers = new Map<number, Server>();
  private readonly ids: number[];
  private readonly chaosTicks: number;
  private readonly livenessTicks: number;
  private readonly codecEvery: number;
  private now = 0;
  private tickNo = 0;

  // Network weather, drawn per seed so some schedules are calm and some are stormy.
  private loss: number;
  private dup: number;
  private reorder: number;
  private readonly flushDelayMax: number;
  private readonly crashRate: number;
  private group = new Map<number, number>();
  /** Directed links cut by an asymmetric fault ("a>b": a's packets to b are lost). */
  private oneWay = new Set<string>();
  private healAt = -1;

  private payloadCounter = 0;
  private readonly livenessPayloads = new Set<string>();
  private readonly livenessSeenBy = new Map<string, Set<number>>();
  private recoveredAt = -1;
  private readonly stats = { messages: 0, crashes: 0, partitions: 0, snapshotsSent: 0, historyDiffs: 0, truncations: 0, forwarded: 0 };

  constructor(private readonly options: SimOptions) {
    this.rng = new Prng(options.seed * 2654435761 + 1);
    this.chaosTicks = options.chaosTicks ?? 100;
    this.livenessTicks = options.livenessTicks ?? 100;
    this.codecEvery = options.codecEvery ?? 8;
    this.loss = this.rng.pick([0, 0.01, 0.05, 0.1]);
    this.dup = this.rng.pick([0, 0.02, 0.05]);
    this.reorder = this.rng.pick([0, 0.05, 0.2]);
    this.flushDelayMax = this.rng.pick([5, 25, 60]);
    this.crashRate = this.rng.pick([0.02, 0.04, 0.08]);
    const voters = Array.from({ length: options.voters }, (_, i) => i + 1);
    const observers = Array.from({ length: options.observers ?? 0 }, (_, i) => options.voters + i + 1);
    this.ids = [...voters, ...observers];
    const snapThreshold = this.rng.pick([2, 20, 1000]);
    // Half the schedules keep only a few txns in memory and read older ones for a DIFF back from the disk.
    const diskHistory = this.rng.chance(0.5);
    const memoryLogTxns = diskHistory ? this.rng.pick([1, 3, 10]) : snapThreshold;
    for (const id of this.ids) {
      const nodeRng = new Prng(this.rng.int(0, 2 ** 31));
      const node = new ZabNode({
        myId: id,
        voters,
        observers,
        initLimit: 10,
        syncLimit: 5,
        finalizeWaitTicks: 1,
        electionResendTicks: 2,
        snapThreshold,
        memoryLogTxns,
        diskHistory,
        maxOutstanding: 50,
        random: () => nodeRng.next(),
      });
      this.servers.set(id, { id, node, disk: new SimDisk(), applied: [], up: true, incarnation: 0, flushScheduled: false, restartAt: -1 });
      // Stagger tick phases: real servers' timers are not aligned.
      this.queue.push(this.rng.int(0, UNITS_PER_TICK - 1), { k: 'tick', id });
    }
    this.queue.push(0, { k: 'world' });
  }

  run(): SimReport {
    for (const s of this.servers.values()) this.process(s);
    const end = (this.chaosTicks + this.livenessTicks) * UNITS_PER_TICK;
    while (this.recoveredAt < 0) {
      const ev = this.queue.pop();
      if (!ev) throw new Error('event queue ran dry');
      this.now = ev.at;
      if (this.now > end) {
        throw new InvariantViolation(`liveness: no commit reached every server within ${this.livenessTicks} ticks after healing`);
      }
      this.handle(ev.item);
    }
    return {
      seed: this.options.seed,
      voters: this.options.voters,
      observers: this.options.observers ?? 0,
      committed: this.checker.history.length,
      establishedEpochs: this.checker.establishedEpochs,
      messages: this.stats.messages,
      crashes: this.stats.crashes,
      partitions: this.stats.partitions,
      snapshotsSent: this.stats.snapshotsSent,
      historyDiffs: this.stats.historyDiffs,
      truncations: this.stats.truncations,
      forwarded: this.stats.forwarded,
      ticksToRecover: this.recoveredAt - this.chaosTicks,
    };
  }

  private handle(ev: SimEvent): void {
    switch (ev.k) {
      case 'world':
        this.world();
        this.queue.push(this.now + UNITS_PER_TICK, ev);
        return;
      case 'tick': {
        const s = this.servers.get(ev.id)!;
        if (s.up) {
          s.node.tick();
          this.process(s);
        }
        this.queue.push(this.now + UNITS_PER_TICK, ev);
        return;
      }
      case 'deliver': {
        const s = this.servers.get(ev.to)!;
        if (!s.up || this.cut(ev.from, ev.to)) return;
        s.node.step(ev.from, ev.msg);
        this.process(s);
        return;
      }
      case 'flush': {
        const s = this.servers.get(ev.id)!;
        if (!s.up || s.incarnation !== ev.inc) return;
        s.flushScheduled = false;
        const zxid = this.options.lyingDisk ? s.disk.lastZxid() : s.disk.flush();
        if (zxid !== null) this.queue.push(this.now + this.rng.int(0, 8), { k: 'persisted', id: s.id, inc: s.incarnation, zxid });
        return;
      }
      case 'persisted': {
        const s = this.servers.get(ev.id)!;
        if (!s.up || s.incarnation !== ev.inc) return;
        s.node.persisted(ev.zxid);
        this.process(s);
        return;
      }
      case 'history': {
        const s = this.servers.get(ev.id)!;
        if (!s.up || s.incarnation !== ev.inc) return;
        const entries = s.disk.readHistory(ev.afterZxid, ev.upToZxid, ev.maxTxns);
        if (entries) this.stats.historyDiffs++;
        s.node.historyProvided(ev.requestId, entries);
        this.process(s);
        return;
      }
    }
  }

  /** Once per tick: faults during chaos, client load always, the healing switch in between. */
  private world(): void {
    const t = this.tickNo++;
    const chaos = t < this.chaosTicks;
    if (t === this.chaosTicks) this.heal();
    for (const s of this.servers.values()) if (!s.up && s.restartAt <= t) this.restart(s);
    if (chaos) {
      if (this.healAt >= 0 && t >= this.healAt) {
        this.group.clear();
        this.oneWay.clear();
        this.healAt = -1;
      }
      if (this.healAt < 0 && this.rng.chance(0.04)) this.partition(t);
      if (this.rng.chance(this.crashRate)) this.crashSomeone(t);
      if (this.rng.chance(0.03)) this.checkpointSomeone();
    }
    if (this.rng.chance(chaos ? 0.6 : 1)) this.clientWrite(!chaos);
  }

  private heal(): void {
    this.log('heal everything');
    this.group.clear();
    this.oneWay.clear();
    this.healAt = -1;
    this.loss = 0;
    this.dup = 0;
    this.reorder = 0;
    for (const s of this.servers.values()) if (!s.up) s.restartAt = this.tickNo;
  }

  private partition(t: number): void {
    this.stats.partitions++;
    this.healAt = t + this.rng.int(5, 40);
    if (this.rng.chance(0.3)) {
      for (const a of this.ids) for (const b of this.ids) if (a !== b && this.rng.chance(0.3)) this.oneWay.add(`${a}>${b}`);
      this.log(`one-way cuts ${[...this.oneWay].join(' ')} until ${this.healAt}`);
      return;
    }
    for (const id of this.ids) this.group.set(id, this.rng.int(0, 1));
    this.log(`partition ${this.ids.map((id) => `${id}:${this.group.get(id)}`).join(' ')} until ${this.healAt}`);
  }

  private crashSomeone(t: number): void {
    const s = this.servers.get(this.rng.pick(this.ids))!;
    if (!s.up) return;
    this.stats.crashes++;
    this.log(`crash node ${s.id}`);
    s.up = false;
    s.incarnation++;
    s.flushScheduled = false;
    s.disk.crash();
    s.applied = [];
    s.restartAt = t + this.rng.int(2, 30);
  }

  private restart(s: Server): void {
    this.log(`restart node ${s.id}`);
    s.up = true;
    s.applied = s.disk.snapshotState.slice();
    s.disk.restarted();
    s.node.restart(s.disk.durableState());
    this.process(s);
  }

  /** The application snapshots its state, letting the node forget the log it covers (and forcing SNAPs later). */
  private checkpointSomeone(): void {
    const s = this.servers.get(this.rng.pick(this.ids))!;
    const last = s.applied[s.applied.length - 1];
    if (!s.up || !last) return;
    s.disk.checkpoint(last.zxid, s.applied.slice());
    s.node.compact(last.zxid);
  }

  /** Writes arrive at whoever believes it leads, and (forwarded) at up-to-date learners. */
  private clientWrite(healed: boolean): void {
    for (const s of this.servers.values()) {
      if (!s.up) continue;
      const st = s.node.state;
      if (!st.ready) continue;
      if (st.role === 'leading') {
        this.proposeAt(s, `w${this.payloadCounter++}`, healed);
      } else if (this.rng.chance(0.2)) {
        s.node.forwardRequest(BigInt(this.payloadCounter), Buffer.from(`f${this.payloadCounter++}`));
        this.process(s);
      }
    }
  }

  private proposeAt(s: Server, payload: string, healed: boolean): void {
    const r = s.node.propose(Buffer.from(payload));
    if (r.ok && healed) this.livenessPayloads.add(payload);
    this.process(s);
  }

  private log(line: string): void {
    this.options.trace?.(`t=${(this.now / UNITS_PER_TICK).toFixed(1)} ${line}`);
  }

  private cut(a: number, b: number): boolean {
    if (this.oneWay.size > 0 && this.oneWay.has(`${a}>${b}`)) return true;
    return this.group.size > 0 && this.group.get(a) !== this.group.get(b);
  }

  private send(from: number, to: number, msg: PeerMessage): void {
    this.stats.messages++;
    if (this.cut(from, to) || this.rng.chance(this.loss)) return;
    if (this.codecEvery > 0 && this.stats.messages % this.codecEvery === 0) msg = decode(encode(msg));
    const copies = this.rng.chance(this.dup) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.rng.int(1, 6);
      if (this.rng.chance(this.reorder)) delay += this.rng.int(5, 40);
      this.queue.push(this.now + delay, { k: 'deliver', from, to, msg });
    }
  }

  /** Carries out a node's Ready in the order its contract demands, checking invariants as it goes. */
  private process(s: Server): void {
    for (let r = s.node.drain(); ; r = s.node.drain()) {
      if (r.storage.length + r.messages.length + r.apply.length + r.events.length === 0) return;
      this.store(s, r);
      for (const m of r.messages) this.send(s.id, m.to, m.message);
      this.applyAll(s, r);
      for (const e of r.events) {
        if (e.type === 'role') this.log(`node ${s.id} ${e.role}${e.ready ? ' READY' : ''} leader=${e.leaderId} epoch=${e.epoch}`);
        if (e.type === 'role' && e.role === 'leading' && e.ready) this.checker.leaderEstablished(s.id, e.epoch, s.applied);
        if (e.type === 'request') {
          this.stats.forwarded++;
          this.proposeAt(s, e.payload.toString(), this.tickNo > this.chaosTicks);
        }
        if (e.type === 'historyRequest') {
          // Read later, as the disk read is: the log may be trimmed, purged or truncated meanwhile.
          const { requestId, afterZxid, upToZxid, maxTxns } = e;
          this.queue.push(this.now + this.rng.int(0, 20), { k: 'history', id: s.id, inc: s.incarnation, requestId, afterZxid, upToZxid, maxTxns });
        }
        if (e.type === 'snapshotRequest') {
          this.stats.snapshotsSent++;
          const last = s.applied[s.applied.length - 1];
          s.node.snapshotProvided(e.requestId, last ? last.zxid : s.disk.snapshotZxid, encodeState(s.applied));
        }
      }
    }
  }

  private store(s: Server, r: Ready): void {
    for (const op of r.storage) {
      switch (op.op) {
        case 'append':
          if (op.entry.zxid <= s.disk.lastZxid()) {
            throw new InvariantViolation(`node ${s.id} logged ${op.entry.zxid.toString(16)} after ${s.disk.lastZxid().toString(16)}: zxids must increase`);
          }
          s.disk.append(op.entry);
          if (!s.flushScheduled) {
            s.flushScheduled = true;
            this.queue.push(this.now + this.rng.int(1, this.flushDelayMax), { k: 'flush', id: s.id, inc: s.incarnation });
          }
          break;
        case 'truncate':
          this.stats.truncations++;
          s.disk.truncate(op.afterZxid);
          break;
        case 'snapshot':
          s.disk.installSnapshot(op.zxid, decodeState(op.data), op.entries);
          break;
        case 'epochs':
          this.checker.epochs(s.id, op.acceptedEpoch, op.currentEpoch);
          s.disk.acceptedEpoch = op.acceptedEpoch;
          s.disk.currentEpoch = op.currentEpoch;
          break;
      }
    }
  }

  private applyAll(s: Server, r: Ready): void {
    for (const a of r.apply) {
      if (a.op === 'restore') {
        const state = decodeState(a.data);
        const last = state[state.length - 1];
        if ((last ? last.zxid : 0n) !== a.zxid) throw new InvariantViolation(`node ${s.id} restored a snapshot whose state does not end at its zxid`);
        this.checker.restored(s.id, state);
        s.applied = state;
        continue;
      }
      const txn = { zxid: a.entry.zxid, payload: a.entry.payload.toString() };
      this.checker.applied(s.id, s.applied.length, txn, s.applied[s.applied.length - 1]);
      s.applied.push(txn);
      if (this.livenessPayloads.has(txn.payload)) this.noteRecovered(s.id, txn.payload);
    }
  }

  private noteRecovered(id: number, payload: string): void {
    let seen = this.livenessSeenBy.get(payload);
    if (!seen) this.livenessSeenBy.set(payload, (seen = new Set()));
    seen.add(id);
    if (seen.size === this.ids.length && this.recoveredAt < 0) this.recoveredAt = this.tickNo;
  }
}

function encodeState(state: readonly AppliedTxn[]): Buffer {
  return Buffer.from(JSON.stringify(state.map((t) => [t.zxid.toString(16), t.payload])));
}

function decodeState(data: Buffer): AppliedTxn[] {
  const rows = JSON.parse(data.toString()) as [string, string][];
  return rows.map(([z, p]) => ({ zxid: BigInt(`0x${z}`), payload: p }));
}
