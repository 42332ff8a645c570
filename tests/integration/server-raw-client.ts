/**
 * A bare-bones ZooKeeper wire client over a raw socket, for tests that need exact frames: pipelining,
 * ordering of notifications against replies, handshake edge cases, malformed input.
 */
import net from 'node:net';
import {
  ConnectRequestCodec,
  ConnectResponseCodec,
  FrameDecoder,
  JuteReader,
  JuteWriter,
  ReplyHeaderCodec,
  WatcherEventCodec,
  type ConnectResponse,
  type ReplyHeader,
  type WatcherEvent,
} from '../../ensemble/jute/index.ts';

export type Received =
  | { kind: 'reply'; header: ReplyHeader; body: Buffer }
  | { kind: 'event'; header: ReplyHeader; event: WatcherEvent };

export class RawClient {
  readonly received: Received[] = [];
  connect?: ConnectResponse;
  closed = false;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private waiters: (() => void)[] = [];
  private nextXid = 1;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const f of this.decoder.push(chunk)) {
        if (!this.connect) {
          this.connect = ConnectResponseCodec.decode(f);
        } else {
          const r = new JuteReader(f);
          const header = ReplyHeaderCodec.read(r);
          const body = f.subarray(r.offset);
          if (header.xid === -1) this.received.push({ kind: 'event', header, event: WatcherEventCodec.decode(body) });
          else this.received.push({ kind: 'reply', header, body });
        }
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects and, unless `handshake` is false, completes the ConnectRequest/Response exchange. */
  static async open(
    port: number,
    opts: { handshake?: boolean; timeout?: number; sessionId?: bigint; passwd?: Buffer; lastZxidSeen?: bigint } = {},
  ): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    if (opts.handshake !== false) {
      c.sendRaw(
        ConnectRequestCodec.encode({
          protocolVersion: 0,
          lastZxidSeen: opts.lastZxidSeen ?? 0n,
          timeOut: opts.timeout ?? 10_000,
          sessionId: opts.sessionId ?? 0n,
          passwd: opts.passwd ?? Buffer.alloc(16),
          readOnly: false,
        }),
      );
      await c.until(() => c.connect !== undefined || c.closed, 5000);
    }
    return c;
  }

  /** Writes one frame (length prefix added). */
  sendRaw(payload: Buffer): void {
    const w = new JuteWriter();
    w.int(payload.length).raw(payload);
    this.socket.write(w.toBuffer());
  }

  /** Sends a request with header (xid, type) and body; returns the xid. */
  send(type: number, body: (w: JuteWriter) => void = () => {}, xid = this.nextXid++): number {
    const w = new JuteWriter();
    const at = w.beginFrame();
    w.int(xid).int(type);
    body(w);
    w.endFrame(at);
    this.socket.write(w.toBuffer());
    return xid;
  }

  async until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async reply(xid: number, timeoutMs = 5000): Promise<{ header: ReplyHeader; body: Buffer }> {
    const find = () => this.received.find((m) => m.kind === 'reply' && m.header.xid === xid);
    await this.until(() => find() !== undefined || this.closed, timeoutMs);
    const m = find();
    if (!m || m.kind !== 'reply') throw new Error(`connection closed before the reply to xid ${xid}`);
    return m;
  }

  /** Sends and awaits the reply. */
  async call(type: number, body: (w: JuteWriter) => void = () => {}): Promise<{ header: ReplyHeader; body: Buffer }> {
    return this.reply(this.send(type, body));
  }

  events(): WatcherEvent[] {
    return this.received.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
  }

  close(): void {
    this.socket.destroy();
  }
}
