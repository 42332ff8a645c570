/**
 * One client TCP connection: four-letter-word sniffing, framing with jute.maxbuffer, the handshake, then
 * requests handed to the pipeline. Anything malformed closes this connection only; nothing thrown here may
 * escape into the event loop.
 * Backpressure: decoded frames wait in an inbox and are handed on only while fewer than maxOutstanding
 * requests are unanswered and the socket's write buffer is not full; while the inbox is not empty the socket
 * is not read. So a client that stops reading its replies stops having its requests executed.
 */
import type net from 'node:net';
import {
  ConnectRequestCodec,
  FrameDecoder,
  JuteReader,
  JuteWriter,
  ReplyHeaderCodec,
  RequestHeaderCodec,
  WatcherEventCodec,
  type ConnectRequest,
  type ConnectResponse,
  ConnectResponseCodec,
  type Id,
  type WatcherEvent,
} from '../jute/index.ts';
import type { ClientLink } from './pipeline.ts';
import { LAST_OP_NAMES } from './requests.ts';
import { LatencyStats } from './stats.ts';

export interface ConnectionHandler {
  /** The bytes were a four-letter word (whitelisted or not): the text to answer, or null if it is not one. */
  fourLetterWord(word: string): string | null;
  connect(conn: ClientConnection, req: ConnectRequest): Promise<{ response: ConnectResponse; ok: boolean } | null>;
  request(conn: ClientConnection, xid: number, type: number, body: Buffer): void;
  closed(conn: ClientConnection): void;
  /** Counts packets for srvr/mntr. */
  onPacket(direction: 'in' | 'out'): void;
  /** A request answered after `ms`. */
  /** `ms` whole milliseconds (ZooKeeper's latency stats); `preciseMs` for histograms; `opcode` of the reply. */
  onLatency(ms: number, opcode?: number, preciseMs?: number): void;
  log(msg: string): void;
}

export interface ConnectionLimits {
  maxFrame: number;
  /** Requests read but not yet answered before reading pauses. */
  maxOutstanding: number;
  /** A connection that has not finished its handshake by then is closed. */
  handshakeTimeoutMs: number;
}

type State = 'sniffing' | 'awaitingConnect' | 'connecting' | 'ready' | 'closed';

export class ClientConnection implements ClientLink {
  sessionId = 0n;
  readonly auth: Id[];
  readonly peerIp: string;
  readonly peerPort: number;
  readonly established = Date.now();
  /** Negotiated session timeout (for cons). */
  timeout = 0;
  // per-connection stats for stat/cons
  packetsReceived = 0;
  packetsSent = 0;
  lastOp = 'NA';
  lastCxid = -1;
  lastZxid = -1n;
  lastResponseTime = 0;
  lastLatency = 0;
  readonly latency = new LatencyStats();

  private state: State = 'sniffing';
  private readonly decoder: FrameDecoder;
  private head: Buffer = Buffer.alloc(0);
  /** Frames decoded but not yet handed on (during the handshake, or held back by backpressure). */
  private inbox: Buffer[] = [];
  private outstandingCount = 0;
  private writeBlocked = false;
  private corked = false;
  private paused = false;
  private readonly started = new Map<number, number>();
  private handshakeTimer: NodeJS.Timeout | null;
  /** True while the pipeline handles a request we handed it (replies then must not re-enter drainInbox). */
  private dispatching = false;
  private notifiedClosed = false;
  /** Why the server closed this connection (null while open or when the peer closed it). */
  closeReason: string | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: ConnectionHandler,
    private readonly limits: ConnectionLimits,
  ) {
    this.peerIp = normalizeIp(socket.remoteAddress ?? '');
    this.peerPort = socket.remotePort ?? 0;
    this.auth = [{ scheme: 'ip', id: this.peerIp }];
    this.decoder = new FrameDecoder(limits.maxFrame);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.guard(() => this.drainInbox());
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'ready') this.close('no handshake in time');
    }, limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get remote(): string {
    return `/${this.peerIp}:${this.peerPort}`;
  }

  /** Requests received and not yet answered (handed on or still in the inbox). */
  get outstanding(): number {
    return this.outstandingCount + this.inbox.length;
  }

  /** As ZooKeeper's cons shows a connection's selector interest: 1 = reading, 4 = output pending. */
  get interestOps(): number {
    return (this.paused ? 0 : 1) | (this.writeBlocked ? 4 : 0);
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.handler.log(`closing ${this.remote}: ${(e as Error).message}`);
      this.close((e as Error).message);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'sniffing') {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 4) return;
      // A connection's first 4 bytes are either a frame length or a four-letter word (NIOServerCnxn.checkFourLetterWord).
      // As ZooKeeper lists it: the asking connection counts one packet received and no read interest.
      this.packetsReceived = 1;
      this.paused = true;
      const answer = this.handler.fourLetterWord(this.head.subarray(0, 4).toString('latin1'));
      this.packetsReceived = 0;
      this.paused = false;
      if (answer !== null) {
        this.socket.end(answer);
        this.markClosed();
        return;
      }
      this.state = 'awaitingConnect';
      chunk = this.head;
      this.head = Buffer.alloc(0);
    }
    for (const f of this.decoder.push(chunk)) {
      this.packetsReceived++;
      this.handler.onPacket('in');
      if (this.state === 'awaitingConnect') this.startHandshake(ConnectRequestCodec.decode(f));
      else this.inbox.push(f);
    }
    this.drainInbox();
  }

  /** Hands queued frames to the pipeline while backpressure allows. */
  private drainInbox(): void {
    while (this.state === 'ready' && this.inbox.length > 0 && !this.writeBlocked && this.outstandingCount < this.limits.maxOutstanding) {
      this.dispatch(this.inbox.shift()!);
    }
    this.updateFlow();
  }

  private startHandshake(req: ConnectRequest): void {
    this.state = 'connecting';
    this.handler.connect(this, req).then(
      (answer) => this.guard(() => this.finishHandshake(req, answer)),
      (e: Error) => this.close(`handshake failed: ${e.message}`),
    );
  }

  private finishHandshake(req: ConnectRequest, answer: { response: ConnectResponse; ok: boolean } | null): void {
    if (this.state === 'closed') return;
    if (!answer) {
      this.close('handshake refused');
      return;
    }
    this.write(frameOf((w) => ConnectResponseCodec.write(w, answer.response)));
    if (!answer.ok) {
      this.close('invalid session');
      return;
    }
    this.timeout = answer.response.timeOut;
    this.lastZxid = req.lastZxidSeen;
    this.state = 'ready';
    this.clearTimer();
    this.drainInbox();
  }

  private dispatch(f: Buffer): void {
    const r = new JuteReader(f);
    const h = RequestHeaderCodec.read(r);
    this.outstandingCount++;
    // Replies to pings, auth and setWatches carry fixed xids, so a few start times are never claimed: bound them.
    if (this.started.size >= 4 * this.limits.maxOutstanding) this.started.clear();
    this.started.set(h.xid, performance.now());
    this.lastCxid = h.xid;
    this.dispatching = true;
    try {
      this.handler.request(this, h.xid, h.type, f.subarray(r.offset));
    } finally {
      this.dispatching = false;
    }
  }

  sendReply(xid: number, zxid: bigint, err: number, body?: (w: JuteWriter) => void, opcode?: number): void {
    if (this.outstandingCount > 0) this.outstandingCount--;
    if (this.state === 'closed') return;
    const now = Date.now();
    const startedAt = this.started.get(xid);
    if (startedAt !== undefined) {
      this.started.delete(xid);
      const precise = performance.now() - startedAt;
      this.lastLatency = Math.floor(precise);
      this.latency.record(this.lastLatency);
      this.handler.onLatency(this.lastLatency, opcode, precise);
    }
    this.lastResponseTime = now;
    if (zxid > 0n) this.lastZxid = zxid;
    if (opcode !== undefined) this.lastOp = LAST_OP_NAMES[opcode] ?? this.lastOp;
    this.write(
      frameOf((w) => {
        ReplyHeaderCodec.write(w, { xid, zxid, err });
        body?.(w);
      }),
    );
    // Answering may make room for held-back requests; not re-entrantly from inside a dispatch, though.
    if (!this.dispatching) queueMicrotask(() => this.guard(() => this.drainInbox()));
  }

  /** Notifications carry xid -1 and zxid -1, as ZooKeeper's NIOServerCnxn.process writes them. */
  sendEvent(event: WatcherEvent): void {
    if (this.state === 'closed') return;
    this.write(
      frameOf((w) => {
        ReplyHeaderCodec.write(w, { xid: -1, zxid: -1n, err: 0 });
        WatcherEventCodec.write(w, event);
      }),
    );
  }

  private write(buf: Buffer): void {
    this.packetsSent++;
    this.handler.onPacket('out');
    // A group commit answers many requests in one go: cork until the end of this tick so they leave in one writev
    // instead of one syscall each (the biggest CPU cost in the pipelined benchmark's profile).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (!this.socket.write(buf)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
  }

  private updateFlow(): void {
    if (this.state === 'closed') return;
    const shouldPause = this.writeBlocked || this.inbox.length > 0 || this.outstandingCount >= this.limits.maxOutstanding;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  close(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    // end() flushes what was written (e.g. a last reply) before FIN; destroy soon after in case the peer stalls.
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    t.unref();
    this.markClosed();
  }

  private onClose(): void {
    this.markClosed();
  }

  private markClosed(): void {
    this.clearTimer();
    this.state = 'closed';
    if (this.notifiedClosed) return;
    this.notifiedClosed = true;
    this.handler.closed(this);
  }

  private clearTimer(): void {
    if (this.handshakeTimer) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
  }
}

/** Replies are encoded into one reused buffer and copied out at their exact size: one allocation per reply. */
const scratch = new JuteWriter(64 * 1024);
const SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;

function frameOf(write: (w: JuteWriter) => void): Buffer {
  const w = scratch.reset();
  const at = w.beginFrame();
  write(w);
  w.endFrame(at);
  const frame = w.toBuffer();
  // One huge reply should not pin its size for the life of the process.
  if (w.capacity > SCRATCH_KEEP_BYTES) w.shrinkTo(64 * 1024);
  return frame;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so ip ACLs and per-IP limits see the address clients expect. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
