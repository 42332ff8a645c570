/** Jute's binary encoding: big-endian ints, length-prefixed strings/buffers/vectors where -1 means null. */

export class JuteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JuteError';
  }
}

export class JuteReader {
  offset = 0;
  constructor(readonly buf: Buffer, offset = 0, readonly end = buf.length) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new JuteError(`truncated record: need ${n} bytes at offset ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  bool(): boolean {
    this.need(1);
    return this.buf[this.offset++] !== 0;
  }

  /** Reads a length prefix and steps over that many bytes: where they start, or -1 for a null. */
  private sized(what: string): number {
    const len = this.int();
    if (len === -1) return -1;
    if (len < -1) throw new JuteError(`negative ${what} length ${len}`);
    this.need(len);
    const start = this.offset;
    this.offset += len;
    return start;
  }

  buffer(): Buffer | null {
    const start = this.sized('buffer');
    // Copy so a record never pins the (large, reused) frame buffer it was parsed from.
    return start < 0 ? null : Buffer.from(this.buf.subarray(start, this.offset));
  }

  /** A buffer as one latin1 char per byte (how the tree stores znode data), without an intermediate Buffer. */
  latin1Bytes(): string | null {
    const start = this.sized('buffer');
    return start < 0 ? null : this.buf.toString('latin1', start, this.offset);
  }

  string(): string | null {
    const start = this.sized('string');
    return start < 0 ? null : this.buf.toString('utf8', start, this.offset);
  }

  vector<T>(item: (r: JuteReader) => T): T[] | null {
    const len = this.int();
    if (len === -1) return null;
    if (len < -1) throw new JuteError(`negative vector length ${len}`);
    // Each element takes at least one byte; a count beyond the bytes left is hostile, refuse before allocating.
    if (len > this.remaining) throw new JuteError(`vector length ${len} exceeds remaining ${this.remaining} bytes`);
    const out: T[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = item(this);
    return out;
  }
}

/** Appends into one growing buffer; `finish()` returns a view of what was written. */
export class JuteWriter {
  private buf: Buffer;
  offset = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  int(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.offset);
    this.offset += 4;
    return this;
  }

  long(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.offset);
    this.offset += 8;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
    return this;
  }

  buffer(v: Buffer | Uint8Array | null | undefined): this {
    if (v == null) return this.int(-1);
    this.int(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.offset);
    this.offset += v.length;
    return this;
  }

  /** Jute `buffer` whose bytes are held as a latin1 string, one char per byte (see StoredData). */
  latin1Bytes(v: string | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.ensure(v.length);
    this.buf.write(v, this.offset, v.length, 'latin1');
    this.offset += v.length;
    return this;
  }

  string(v: string | null | undefined): this {
    if (v == null) return this.int(-1);
    const len = Buffer.byteLength(v, 'utf8');
    this.int(len);
    this.ensure(len);
    this.buf.write(v, this.offset, len, 'utf8');
    this.offset += len;
    return this;
  }

  vector<T>(items: readonly T[] | null | undefined, item: (w: JuteWriter, v: T) => void): this {
    if (items == null) return this.int(-1);
    this.int(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  /** Reserve 4 bytes for a frame length, to be filled by `endFrame`. */
  beginFrame(): number {
    const at = this.offset;
    this.int(0);
    return at;
  }

  endFrame(at: number): this {
    this.buf.writeInt32BE(this.offset - at - 4, at);
    return this;
  }

  /** The written bytes in an ArrayBuffer of their own (see ownedCopy): for bytes that are kept. */
  toOwnedBuffer(): Buffer {
    return ownedCopy(this.buf.subarray(0, this.offset));
  }

  /** A copy of the written bytes (safe to keep after the writer is reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.offset));
  }

  /** A view of the written bytes; valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.offset);
  }

  reset(): this {
    this.offset = 0;
    return this;
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** Drop the written bytes and replace a grown buffer with a smaller one. */
  shrinkTo(size: number): this {
    this.offset = 0;
    if (this.buf.length > size) this.buf = Buffer.allocUnsafe(size);
    return this;
  }
}

/**
 * A copy of `bytes` in an ArrayBuffer of its own, for bytes kept long (znode data, logged txns). Node hands out
 * small Buffers as slices of a shared 8 KiB slab, and one long-lived slice keeps the whole slab alive with the
 * short-lived records around it; a view into a frame or a file read keeps that whole frame or file.
 */
export function ownedCopy(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}
