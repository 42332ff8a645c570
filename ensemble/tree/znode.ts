/** One znode as stored (ZooKeeper's DataNode + StatPersisted) and its client-visible Stat. */
import type { Stat } from '../jute/records.ts';
import type { CachedAcl } from './acl.ts';
import type { NodeKind } from './ephemeral-type.ts';
import { JuteWriter } from '../jute/buffer.ts';

/**
 * The wire form of a child list (jute vector<ustring>), kept until the list changes: a getChildren of a
 * 1,000-child znode would otherwise encode every name again for each reply. A WeakMap keyed by the Set, so the
 * million leaves of a big tree carry no extra field.
 */
const encodedChildLists = new WeakMap<Set<string>, Buffer>();
const EMPTY_CHILD_LIST = Buffer.from([0, 0, 0, 0]);
const EMPTY_DATA = Buffer.alloc(0);

/**
 * Znode data as it is kept: a latin1 string, one char per byte. A 100 B Buffer of its own costs ~290 B of V8 heap and
 * ArrayBuffer and ~640 B of RSS (its JS objects, the BackingStore and the malloc'd bytes); the same bytes as a
 * one-byte string cost ~125 B and nothing outside the heap (measured on 100,000 of each). A string is also never a
 * view, so data decoded from a frame, txn or snapshot pins none of it.
 */
export type StoredData = string | null;

export function storedData(data: Uint8Array | null): StoredData {
  if (data === null) return null;
  if (data.length === 0) return '';
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
}

/** The stored bytes as a Buffer of their own, for a reply or a caller that keeps them. */
export function dataBuffer(data: StoredData): Buffer | null {
  if (data === null) return null;
  if (data.length === 0) return EMPTY_DATA;
  return Buffer.from(data, 'latin1');
}

export class ZNode {
  /** Child names; null until the first child, so a million leaves do not each hold an empty Set. Change it only
   * through addChild/removeChild, which keep the encoded list current. */
  children: Set<string> | null = null;
  /** The last snapshot (SnapshotInProgress) that has written this node. */
  snapshotPass = 0;

  constructor(
    public data: StoredData,
    public acl: CachedAcl,
    public kind: NodeKind,
    public czxid: bigint,
    public mzxid: bigint,
    public ctime: bigint,
    public mtime: bigint,
    public version: number,
    /** As ZooKeeper stores it: the number of child creates. Clients see creates + deletes (see toStat). */
    public cversion: number,
    public aversion: number,
    /** Stored owner: session id, or the container/TTL encoding of EphemeralType. */
    public ephemeralOwner: bigint,
    public pzxid: bigint,
  ) {}

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }

  addChild(name: string): void {
    this.children ??= new Set();
    encodedChildLists.delete(this.children);
    this.children.add(name);
  }

  removeChild(name: string): boolean {
    if (this.children === null) return false;
    encodedChildLists.delete(this.children);
    return this.children.delete(name);
  }

  /** The child names as a getChildren reply carries them; do not modify the returned bytes. */
  encodedChildList(): Buffer {
    const children = this.children;
    if (children === null || children.size === 0) return EMPTY_CHILD_LIST;
    let encoded = encodedChildLists.get(children);
    if (encoded === undefined) {
      const w = new JuteWriter(4 + children.size * 16);
      w.int(children.size);
      for (const name of children) w.string(name);
      encoded = w.toBuffer();
      encodedChildLists.set(children, encoded);
    }
    return encoded;
  }

  /** DataNode.copyStat: cversion counts creates and deletes; containers and TTL nodes show no owner. */
  toStat(): Stat {
    const numChildren = this.numChildren;
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion * 2 - numChildren,
      aversion: this.aversion,
      ephemeralOwner: this.kind === 'ephemeral' ? this.ephemeralOwner : 0n,
      dataLength: this.data === null ? 0 : this.data.length,
      numChildren,
      pzxid: this.pzxid,
    };
  }
}
