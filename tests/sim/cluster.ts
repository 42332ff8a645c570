/**
 * A small hand-driven ensemble for unit tests: FIFO in-memory links that the test can cut,
 * disks that confirm appends only when told to (or at once with autoPersist), and a record of
 * everything each node asked for. Unlike the simulator there is no randomness and no fault unless
 * the test makes one.
 */
import { ZabNode, type DurableState, type LogEntry, type NodeEvent, type Outgoing, type PeerMessage, type StorageOp, type ZabConfig } from '../../ensemble/zab/index.ts';
import { Prng } from './prng.ts';

export interface ClusterOptions {
  observers?: number[];
  states?: Record<number, DurableState>;
  autoPersist?: boolean;
  config?: Partial<Omit<ZabConfig, 'myId' | 'voters' | 'observers' | 'random'>>;
}

export interface NodeRecord {
  storage: StorageOp[];
  applied: LogEntry[];
  events: NodeEvent[];
  sent: Outgoing[];
  /** Each drained Ready, in order, to check what went out together. */
  batches: { storage: StorageOp[]; messages: Outgoing[] }[];
}

export class TestCluster {
  readonly nodes = new Map<number, ZabNode>();
  readonly records = new Map<number, NodeRecord>();
  readonly down = new Set<number>();
  private readonly cut = new Set<string>();
  private inflight: { from: number; to: number; msg: PeerMessage }[] = [];
  autoPersist: boolean;

  constructor(readonly voters: number[], options: ClusterOptions = {}) {
    this.autoPersist = options.autoPersist ?? true;
    const observers = options.observers ?? [];
    for (const id of [...voters, ...observers]) {
      const rng = new Prng(id * 7919);
      const node = new ZabNode(
        {
          myId: id,
          voters,
          observers,
          initLimit: 10,
          syncLimit: 5,
          finalizeWaitTicks: 1,
          electionResendTicks: 2,
          ...options.config,
          random: () => rng.next(),
        },
        options.states?.[id],
      );
      this.nodes.set(id, node);
      this.records.set(id, { storage: [], applied: [], events: [], sent: [], batches: [] });
      this.collect(id);
    }
  }

  node(id: number): ZabNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  record(id: number): NodeRecord {
    return this.records.get(id)!;
  }

  /** Drains a node's Ready into its record and the network. */
  collect(id: number): void {
    const node = this.node(id);
    const rec = this.record(id);
    for (;;) {
      const r = node.drain();
      if (r.storage.length + r.messages.length + r.apply.length + r.events.length === 0) return;
      rec.batches.push({ storage: r.storage, messages: r.messages });
      rec.storage.push(...r.storage);
      rec.sent.push(...r.messages);
      rec.events.push(...r.events);
      for (const a of r.apply) {
        if (a.op === 'commit') rec.applied.push(a.entry);
        else rec.applied = [];
      }
      for (const m of r.messages) this.inflight.push({ from: id, to: m.to, msg: m.message });
      const appended = r.storage.filter((s) => s.op === 'append');
      if (this.autoPersist && appended.length > 0) node.persisted(node.state.lastLoggedZxid);
    }
  }

  /** Confirms every node's appends as durable. */
  persistAll(): void {
    for (const [id, n] of this.nodes) {
      if (this.down.has(id)) continue;
      n.persisted(n.state.lastLoggedZxid);
      this.collect(id);
    }
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  healAll(): void {
    this.cut.clear();
  }

  /** Delivers queued messages in FIFO order until the network is quiet (or `limit` deliveries). */
  deliverAll(limit = 100_000): number {
    let n = 0;
    while (this.inflight.length > 0 && n < limit) {
      const { from, to, msg } = this.inflight.shift()!;
      n++;
      if (this.down.has(to) || this.cut.has(`${from}>${to}`)) continue;
      this.node(to).step(from, msg);
      this.collect(to);
    }
    return n;
  }

  /** Drops everything in flight (a test wants to inspect before delivery). */
  takeInflight(): { from: number; to: number; msg: PeerMessage }[] {
    const out = this.inflight;
    this.inflight = [];
    return out;
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const [id, n] of this.nodes) {
        if (this.down.has(id)) continue;
        n.tick();
        this.collect(id);
      }
      this.deliverAll();
    }
  }

  /** Ticks until some node is an established leader; returns its id. */
  electLeader(maxTicks = 50): number {
    for (let i = 0; i < maxTicks; i++) {
      this.deliverAll();
      const l = this.establishedLeader();
      if (l !== null && this.allSynced()) return l;
      this.tick();
    }
    throw new Error('no leader elected');
  }

  establishedLeader(): number | null {
    for (const [id, n] of this.nodes) {
      const st = n.state;
      if (!this.down.has(id) && st.role === 'leading' && st.ready) return id;
    }
    return null;
  }

  allSynced(): boolean {
    for (const [id, n] of this.nodes) if (!this.down.has(id) && !n.state.ready) return false;
    return true;
  }
}
