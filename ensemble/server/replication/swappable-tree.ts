/**
 * The pipeline holds one tree for its lifetime, but a SNAP sync from a leader replaces a follower's whole state.
 * This DataTreeApi delegates to the current tree and lets the replication runtime swap it, so the pipeline,
 * container manager and four-letter words keep their reference and see the new state at once.
 */
import type { SnapshotInProgress } from '../../tree/snapshot-in-progress.ts';
import type { Id } from '../../jute/records.ts';
import type { ApplyResult, DataTreeApi, SessionInfo, Txn } from '../../tree/api.ts';

export class SwappableTree implements DataTreeApi {
  constructor(private current: DataTreeApi) {}

  replace(tree: DataTreeApi): void {
    this.current = tree;
  }

  get inner(): DataTreeApi {
    return this.current;
  }

  get lastZxid(): bigint {
    return this.current.lastZxid;
  }

  get nodeCount(): number {
    return this.current.nodeCount;
  }

  apply(txn: Txn): ApplyResult {
    return this.current.apply(txn);
  }

  getData(path: string, auth: Id[]) {
    return this.current.getData(path, auth);
  }

  exists(path: string) {
    return this.current.exists(path);
  }

  getChildren(path: string, auth: Id[]) {
    return this.current.getChildren(path, auth);
  }

  getEncodedChildren(path: string, auth: Id[]) {
    return this.current.getEncodedChildren(path, auth);
  }

  getACL(path: string, auth: Id[]) {
    return this.current.getACL(path, auth);
  }

  getAllChildrenNumber(path: string, auth: Id[]) {
    return this.current.getAllChildrenNumber(path, auth);
  }

  getEphemerals(sessionId: bigint, prefix: string): string[] {
    return this.current.getEphemerals(sessionId, prefix);
  }

  sessions(): Iterable<SessionInfo> {
    return this.current.sessions();
  }

  findDeletable(now: bigint) {
    return this.current.findDeletable(now);
  }

  mayRead(path: string, auth: Id[]): boolean {
    return this.current.mayRead ? this.current.mayRead(path, auth) : true;
  }

  serialize(): Buffer {
    if (!this.current.serialize) throw new Error('this tree cannot be serialized');
    return this.current.serialize();
  }

  beginSnapshot(): SnapshotInProgress {
    if (!this.current.beginSnapshot) throw new Error('this tree cannot be serialized');
    return this.current.beginSnapshot();
  }
}
