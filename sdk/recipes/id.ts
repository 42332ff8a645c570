/**
 * Unique ids from sequential nodes (the seeds' distributed id): create an ephemeral-sequential node, take its
 * sequence number, delete the node. Ids are unique and increasing per parent, not dense (ZooKeeper's counter is the
 * parent's cversion, which deletions advance too), and they end at 2^31-1 where ZooKeeper's counter wraps.
 */
import { CreateMode, type ZkClient } from '../../ensemble/client/index.ts';
import { deleteQuietly, ensurePath, protectedCreate, sequenceOf } from './support.ts';

export class UniqueIdGenerator {
  private parentReady = false;

  constructor(private readonly zk: ZkClient, readonly parentPath: string, private readonly prefix = 'id-') {}

  async next(): Promise<number> {
    if (!this.parentReady) {
      await ensurePath(this.zk, this.parentPath);
      this.parentReady = true;
    }
    // Ephemeral, so a crash between create and delete still leaves nothing behind; protected, so a connection
    // loss during the create neither leaks a node nor burns an id silently.
    const path = await protectedCreate(this.zk, this.parentPath, this.prefix, null, CreateMode.EPHEMERAL_SEQUENTIAL);
    const id = sequenceOf(path);
    if (id < 0) throw new Error(`sequence counter of ${this.parentPath} wrapped around; ids are exhausted`);
    await deleteQuietly(this.zk, path);
    return id;
  }
}
