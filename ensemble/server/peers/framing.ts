/**
 * Peer frames: a 4-byte big-endian length, then the payload. The decoder hands out one frame at a time so
 * the caller can raise the size limit once a connection has authenticated (tiny handshake frames first,
 * protocol messages after).
 */
export class BadFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadFrameError';
  }
}

export class PeerFrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(public maxFrame: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole payload, or null until more bytes arrive. Throws BadFrameError on a negative or oversize length. */
  next(): Buffer | null {
    if (this.buffered < 4) return null;
    const length = this.readLength();
    if (length < 0 || length > this.maxFrame) {
      throw new BadFrameError(`frame length ${length} outside [0, ${this.maxFrame}]`);
    }
    if (this.buffered < 4 + length) return null;
    return this.take(4 + length).subarray(4);
  }

  private readLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    // Only the head chunks are joined, so a big frame arriving in pieces is copied once, in take().
    const joined = Buffer.concat(this.chunks.slice(0, 4));
    return joined.readInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const want = n - filled;
      if (chunk.length <= want) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, want);
        filled += want;
        this.chunks[0] = chunk.subarray(want);
      }
    }
    this.buffered -= n;
    return out;
  }
}

export function lengthPrefix(length: number): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(length, 0);
  return head;
}

/** One buffer holding every payload framed, back to back. */
export function concatFrames(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of payloads) total += 4 + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out.writeInt32BE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}
