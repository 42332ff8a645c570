/**
 * One TCP connection to one server: frames out, frames in. Knows no record layouts; the caller encodes each
 * frame's body into the connection's single reusable JuteWriter, and frames queued in the same tick leave in
 * one socket write.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { JuteWriter } from '../jute/buffer.ts';
import { FrameDecoder } from '../jute/frame.ts';

export interface ConnectionEvents {
  frame: [payload: Buffer];
  close: [reason: Error | null];
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private readonly writer = new JuteWriter(4096);
  private readonly decoder: FrameDecoder;
  private flushScheduled = false;
  private closed = false;
  lastReceived = Date.now();
  lastSent = Date.now();

  private constructor(private readonly socket: net.Socket, maxFrame: number) {
    super();
    this.decoder = new FrameDecoder(maxFrame);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(err));
    socket.on('close', () => this.shutdown(new Error('connection closed by server')));
  }

  /** Opens a TCP connection, failing after `timeoutMs`. */
  static open(host: string, port: number, timeoutMs: number, maxFrame: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Connection(socket, maxFrame));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Queues one frame whose body `encode` writes; sent with everything else queued this tick. */
  send(encode: (w: JuteWriter) => void): void {
    if (this.closed) return;
    const at = this.writer.beginFrame();
    encode(this.writer);
    this.writer.endFrame(at);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.writer.offset === 0) return;
    // The socket may hold the buffer until it drains, so hand it a copy and keep reusing the writer.
    this.socket.write(this.writer.toBuffer());
    this.writer.reset();
    this.lastSent = Date.now();
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.shutdown(err as Error);
      return;
    }
    for (const f of frames) {
      if (this.closed) return;
      this.emit('frame', f);
    }
  }

  /** Closes the socket; `close` is emitted once, with `reason` (null when we chose to close). */
  destroy(reason: Error | null = null): void {
    if (!this.closed) this.flush();
    this.shutdown(reason);
  }

  private shutdown(reason: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.emit('close', reason);
  }
}
