/**
 * A distributed FIFO queue: one persistent-sequential child per element. Consumers claim an element by deleting
 * it; only one delete of a node can succeed, so each element goes to exactly one consumer. The delete is paired in
 * a multi with an ephemeral claim marker, so a consumer whose connection drops mid-claim can tell whether the
 * claim happened (marker present) instead of guessing and losing the element.
 */
import { randomUUID } from 'node:crypto';
import { CreateMode, ErrorCode, isZkError, op, type Watcher, type ZkClient } from '../../ensemble/client/index.ts';
import { bySequence, deadlineSignal, deleteQuietly, ensurePath, isConnectionLoss, protectedCreate, watchOnce } from './support.ts';

export interface QueueOptions {
  /** Soft limit on the number of elements: offer() refuses beyond it (concurrent producers may overshoot by one each). */
  capacity?: number;
}

const ELEMENT_PREFIX = 'qn-';
const CLAIMS = '_claims';

export class DistributedQueue {
  private ready = false;
  private readonly consumerId = randomUUID();

  constructor(private readonly zk: ZkClient, readonly queuePath: string, private readonly options: QueueOptions = {}) {}

  private async prepare(): Promise<void> {
    if (this.ready) return;
    await ensurePath(this.zk, `${this.queuePath}/${CLAIMS}`);
    this.ready = true;
  }

  private async elements(watcher?: Watcher): Promise<string[]> {
    const children = await this.zk.getChildren(this.queuePath, watcher);
    return bySequence(children.filter((c) => c !== CLAIMS));
  }

  async size(): Promise<number> {
    await this.prepare();
    return (await this.elements()).length;
  }

  /** Appends an element; false when the queue is at capacity. */
  async offer(data: Buffer | string): Promise<boolean> {
    await this.prepare();
    if (this.options.capacity !== undefined && (await this.elements()).length >= this.options.capacity) return false;
    await protectedCreate(this.zk, this.queuePath, ELEMENT_PREFIX, data, CreateMode.PERSISTENT_SEQUENTIAL);
    return true;
  }

  /** Takes the head element, or null when the queue is empty. */
  async poll(): Promise<Buffer | null> {
    await this.prepare();
    return this.claimFirst(await this.elements());
  }

  /** Takes the head element, waiting (on a child watch, not by polling) until there is one. */
  async take(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Buffer> {
    await this.prepare();
    const signal = deadlineSignal(`take from ${this.queuePath}`, opts);
    for (;;) {
      signal?.throwIfAborted();
      const wait = watchOnce(this.zk, signal);
      const claimed = await this.claimFirst(await this.elements(wait.watcher));
      if (claimed) {
        wait.dispose();
        return claimed;
      }
      await wait.fired;
    }
  }

  private async claimFirst(names: string[]): Promise<Buffer | null> {
    for (const name of names) {
      const claimed = await this.claim(name);
      if (claimed) return claimed;
    }
    return null;
  }

  /** The element's data if this consumer claimed it, null if another consumer did first. */
  private async claim(name: string): Promise<Buffer | null> {
    const path = `${this.queuePath}/${name}`;
    let data: Buffer | null;
    try {
      data = (await this.zk.getData(path)).data;
    } catch (e) {
      if (isZkError(e, ErrorCode.NONODE)) return null;
      throw e;
    }
    const marker = `${this.queuePath}/${CLAIMS}/${name}~${this.consumerId}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.zk.multi([op.delete(path), op.create(marker, null, { mode: CreateMode.EPHEMERAL })]);
        break;
      } catch (e) {
        if (isZkError(e, ErrorCode.NONODE)) return null; // someone else deleted it first
        if (!isConnectionLoss(e) || attempt >= 20) throw e;
        // Did the multi land before the connection dropped? The marker says.
        if (await this.exists(marker)) break;
        if (!(await this.exists(path))) return null;
      }
    }
    await deleteQuietly(this.zk, marker);
    return data ?? Buffer.alloc(0);
  }

  private async exists(path: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.zk.exists(path)) !== null;
      } catch (e) {
        if (!isConnectionLoss(e) || attempt >= 20) throw e;
      }
    }
  }
}
