/**
 * Messages waiting to be written to one peer on one channel. Bounded by count and bytes; when full the
 * OLDEST messages are dropped. Dropping (not disconnecting) is safe under ZAB: election notifications are
 * idempotent and superseded by newer ones, and quorum packets carry (session, seq) so the state machine
 * detects the gap and resynchronises, whereas a disconnect would throw away the connection as well.
 */
export class Outbox {
  private items: Buffer[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Queues `payload` and returns how many older messages were dropped to make room. The newest always stays. */
  push(payload: Buffer): number {
    this.items.push(payload);
    this.bytes += payload.length;
    let dropped = 0;
    while (this.length > 1 && (this.length > this.maxMessages || this.bytes > this.maxBytes)) {
      this.shift();
      dropped++;
    }
    return dropped;
  }

  /** Removes and returns the oldest messages, at least one, up to about `budgetBytes` in total. */
  takeBatch(budgetBytes: number): Buffer[] {
    const batch: Buffer[] = [];
    let size = 0;
    while (this.length > 0) {
      const next = this.items[this.head]!;
      if (batch.length > 0 && size + next.length > budgetBytes) break;
      batch.push(this.shift());
      size += next.length;
    }
    return batch;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  private shift(): Buffer {
    const item = this.items[this.head]!;
    this.items[this.head] = EMPTY; // let the payload be collected before compaction
    this.head++;
    this.bytes -= item.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const EMPTY = Buffer.alloc(0);
