/**
 * Incremental frame parser: fed arbitrary socket chunks, emits whole frames (4-byte big-endian length + payload).
 * Knows no record layouts; the socket code knows no frame layouts.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly max: number) {
    super(`frame length ${length} exceeds the limit of ${max} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame: number) {}

  /** Bytes received but not yet emitted as a frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Returns every complete frame payload in `chunk` plus what was buffered before. Throws on a bad length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readInt32BE(0);
      if (len < 0 || len > this.maxFrame) throw new FrameTooLargeError(len, this.maxFrame);
      if (this.buffered < 4 + len) break;
      const whole = this.take(4 + len);
      frames.push(whole.subarray(4));
    }
    return frames;
  }

  /** The first 4 bytes, for protocols that look at a connection's opening bytes (four-letter words). */
  peekHead(): Buffer | null {
    return this.buffered >= 4 ? this.peek(4) : null;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

/** Prefix a payload with its 4-byte length. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}
