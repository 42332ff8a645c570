/**
 * A snapshot of the tree as of one txn boundary, written a slice at a time while later txns keep applying, so a big
 * tree never stalls the node (a million znodes take seconds to encode). Our txns are not idempotent, so a fuzzy
 * snapshot as ZooKeeper writes one would be unsafe to replay onto; instead this is copy-on-write: before the tree
 * changes a node the snapshot has not reached yet, it hands the node here (`beforeChange`) and its bytes as of the
 * snapshot are kept.
 *
 * Order: nodes are visited in the tree's map order, which is creation order, so parents come before children (a
 * node is always created after its parent, and a multi's undo re-inserts parents before children). Nodes deleted
 * before the snapshot reached them are written last, in czxid order, which again puts parents first.
 */
import { JuteWriter } from '../jute/buffer.ts';
import type { SessionInfo } from './api.ts';
import type { CachedAcl } from './acl.ts';
import { writeNodeEntry, writeSnapshotHeader } from './snapshot.ts';
import type { ZNode } from './znode.ts';

const PIECE_BYTES = 4 * 1024 * 1024;

/** Numbers each snapshot, for ZNode.snapshotPass (which snapshot has written the node). */
let passes = 0;

export interface SnapshotState {
  lastZxid: bigint;
  sessions: readonly SessionInfo[];
  acls: readonly CachedAcl[];
  nodes: ReadonlyMap<string, ZNode>;
}

export class SnapshotInProgress {
  readonly zxid: bigint;
  private readonly pass = ++passes;
  private readonly w = new JuteWriter(PIECE_BYTES + (1 << 16));
  private readonly aclIndex: Map<CachedAcl, number>;
  private readonly nodeCount: number;
  private readonly iterator: Iterator<[string, ZNode]>;
  /** Nodes changed before the snapshot reached them: their bytes as of `zxid`, and their czxid for ordering. */
  private readonly saved = new Map<ZNode, { bytes: Buffer; czxid: bigint }>();
  private readonly scratch = new JuteWriter(1024);
  private written = 0;
  /** Filled pieces of the output: one growing buffer of hundreds of MB would be copied whole at every doubling. */
  private readonly pieces: Buffer[] = [];
  private result: Buffer[] | null = null;

  constructor(state: SnapshotState) {
    this.zxid = state.lastZxid;
    this.nodeCount = state.nodes.size;
    this.aclIndex = writeSnapshotHeader(this.w, { ...state, nodeCount: this.nodeCount });
    this.iterator = state.nodes.entries();
  }

  private cancelled = false;

  /** Complete or cancelled: the tree no longer needs to report changes. */
  get done(): boolean {
    return this.result !== null || this.cancelled;
  }

  /** Stop keeping copies of changed nodes (the caller gave this snapshot up). */
  cancel(): void {
    this.cancelled = true;
    this.saved.clear();
  }

  /** The tree is about to change `node` (at `path`): keep its state as of the snapshot if not written yet. */
  beforeChange(path: string, node: ZNode): void {
    if (this.done || node.czxid > this.zxid || node.snapshotPass === this.pass || this.saved.has(node)) return;
    writeNodeEntry(this.scratch.reset(), path, node, this.aclIndex);
    this.saved.set(node, { bytes: this.scratch.toBuffer(), czxid: node.czxid });
  }

  /**
   * Writes nodes for about `budgetMs`, looking at the clock every `chunk` nodes (performance.now() per node would cost
   * more than the encoding); true once the snapshot is complete (then `bytes()` has it).
   */
  step(budgetMs: number, chunk = 256): boolean {
    if (this.cancelled) throw new Error('snapshot: cancelled');
    if (this.result !== null) return true;
    const deadline = performance.now() + budgetMs;
    for (;;) {
      for (let i = 0; i < chunk; i++) {
        const next = this.iterator.next();
        if (next.done) {
          this.finish();
          return true;
        }
        const [path, node] = next.value;
        // Created after the snapshot's zxid, or a multi's undo put an already written node back at the map's end.
        if (node.czxid > this.zxid || node.snapshotPass === this.pass) continue;
        node.snapshotPass = this.pass;
        const saved = this.saved.get(node);
        if (saved) {
          this.w.raw(saved.bytes);
          this.saved.delete(node);
        } else {
          writeNodeEntry(this.w, path, node, this.aclIndex);
        }
        this.written++;
      }
      if (this.w.offset >= PIECE_BYTES) {
        this.pieces.push(this.w.toBuffer());
        this.w.reset();
      }
      if (performance.now() >= deadline) return false;
    }
  }

  /** The complete snapshot in pieces, to be written one after the other; only after step() returned true. */
  chunks(): readonly Buffer[] {
    if (this.result === null) throw new Error('snapshot: not complete');
    return this.result;
  }

  /** The complete snapshot as one buffer (a copy of chunks()). */
  bytes(): Buffer {
    const chunks = this.chunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  private finish(): void {
    // What is left was deleted before the snapshot reached it.
    const deleted = [...this.saved.values()].sort((a, b) => (a.czxid < b.czxid ? -1 : a.czxid > b.czxid ? 1 : 0));
    for (const d of deleted) this.w.raw(d.bytes);
    this.written += deleted.length;
    this.saved.clear();
    if (this.written !== this.nodeCount) throw new Error(`snapshot: wrote ${this.written} nodes, expected ${this.nodeCount}`);
    this.pieces.push(this.w.toBuffer());
    this.result = this.pieces;
  }
}
