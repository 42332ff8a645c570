/**
 * One TCP connection to a peer on one channel: runs the handshake (handshake.ts), then carries framed
 * payloads both ways. Any protocol violation — a bad length, a malformed or unexpected handshake frame,
 * a failed proof, a timeout — closes this connection and nothing else.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { BadFrameError, concatFrames, lengthPrefix, PeerFrameDecoder } from './framing.ts';
import {
  decodeHandshake,
  encodeHello,
  encodeProof,
  HandshakeError,
  MAX_HANDSHAKE_FRAME,
  newNonce,
  proofMatches,
  proofOf,
  type Hello,
  type Proof,
  type Verdict,
} from './handshake.ts';
import type { Channel } from './types.ts';

export type Role = 'dialer' | 'acceptor';

export interface ConnectionParams {
  socket: net.Socket;
  role: Role;
  channel: Channel;
  mySid: number;
  /** The dialer knows whom it called; the acceptor learns it from HELLO. */
  expectedSid?: number;
  isKnownSid: (sid: number) => boolean;
  secret: Buffer;
  maxMessageBytes: number;
  /** From construction (so it includes the TCP connect for a dialer) to an open connection. */
  deadlineMs: number;
  /** Acceptor only: keep this authenticated connection, or send the dialer away to wait for our call. */
  decide?: (sid: number) => Verdict;
}

export interface CloseInfo {
  reason: string;
  /** The handshake had completed. */
  opened: boolean;
  /** Closed on purpose by the duplicate-connection rule after both sides authenticated. */
  redirected: boolean;
}

/** Payloads larger than this are written on their own instead of being copied into a batch buffer. */
const COPY_LIMIT = 256 * 1024;

type State = 'connecting' | 'await-hello' | 'await-proof' | 'open' | 'closed';

export class PeerConnection extends EventEmitter<{
  open: [sid: number];
  frame: [payload: Buffer];
  close: [info: CloseInfo];
}> {
  readonly role: Role;
  readonly channel: Channel;
  /** performance.now() at creation and at open: orders a connection against another. */
  readonly startedAt = performance.now();
  openedAt = 0;
  peerSid: number | null = null;

  private state: State;
  private readonly socket: net.Socket;
  private readonly decoder = new PeerFrameDecoder(MAX_HANDSHAKE_FRAME);
  private readonly myNonce = newNonce();
  private peerNonce: Buffer | null = null;
  private readonly deadline: NodeJS.Timeout;

  constructor(private readonly p: ConnectionParams) {
    super();
    this.role = p.role;
    this.channel = p.channel;
    this.socket = p.socket;
    this.state = p.role === 'dialer' && p.socket.connecting ? 'connecting' : 'await-hello';
    this.deadline = setTimeout(() => this.close(`no handshake within ${p.deadlineMs} ms`), p.deadlineMs);
    this.deadline.unref();
    this.socket.setNoDelay(true); // we batch ourselves
    this.socket.setKeepAlive(true, 10_000);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    this.socket.on('close', () => this.close('connection closed by the other side'));
    if (p.role === 'dialer') {
      if (this.state === 'connecting') {
        this.socket.once('connect', () => {
          if (this.state !== 'connecting') return;
          this.state = 'await-hello';
          this.sendHello();
        });
      } else {
        this.sendHello();
      }
    }
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  onceDrain(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** Writes payloads as frames; returns the number of socket.write calls it took. */
  write(payloads: readonly Buffer[]): number {
    if (this.state !== 'open' || payloads.length === 0) return 0;
    let total = 0;
    for (const p of payloads) total += p.length;
    if (total <= COPY_LIMIT) {
      this.socket.write(concatFrames(payloads));
      return 1;
    }
    // Big batch: small messages still share a buffer, big ones go as they are; cork makes it one writev.
    let writes = 0;
    let group: Buffer[] = [];
    const flushGroup = () => {
      if (group.length === 0) return;
      this.socket.write(concatFrames(group));
      writes++;
      group = [];
    };
    this.socket.cork();
    for (const p of payloads) {
      if (p.length < COPY_LIMIT) {
        group.push(p);
        continue;
      }
      flushGroup();
      this.socket.write(lengthPrefix(p.length));
      this.socket.write(p);
      writes += 2;
    }
    flushGroup();
    this.socket.uncork();
    return writes;
  }

  close(reason: string, redirected = false): void {
    if (this.state === 'closed') return;
    const opened = this.state === 'open';
    this.state = 'closed';
    clearTimeout(this.deadline);
    if (redirected) {
      // Let the verdict reach the dialer before the FIN; destroy later in case it never closes its side.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.emit('close', { reason, opened, redirected });
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.decoder.push(chunk);
    for (;;) {
      if (this.isClosed()) return;
      let frame: Buffer | null;
      try {
        frame = this.decoder.next();
      } catch (e) {
        if (e instanceof BadFrameError) return this.close(e.message);
        throw e;
      }
      if (!frame) return;
      if (this.state === 'open') {
        this.emit('frame', frame);
        continue;
      }
      try {
        this.onHandshakeFrame(decodeHandshake(frame));
      } catch (e) {
        if (e instanceof HandshakeError) return this.close(e.message);
        throw e;
      }
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private onHandshakeFrame(msg: Hello | Proof): void {
    if (msg.kind === 'hello') {
      if (this.state !== 'await-hello') throw new HandshakeError('unexpected HELLO');
      this.checkHello(msg);
      this.peerSid = msg.sid;
      this.peerNonce = msg.nonce;
      if (this.role === 'acceptor') {
        this.sendHello();
      } else {
        this.socket.write(frameOf(encodeProof(this.myProof(), 'keep')));
      }
      this.state = 'await-proof';
      return;
    }
    if (this.state !== 'await-proof') throw new HandshakeError('unexpected PROOF');
    const sid = this.peerSid!;
    const expected = proofOf(this.p.secret, this.myNonce, sid, this.p.mySid, this.channel);
    if (!proofMatches(expected, msg.mac)) {
      throw new HandshakeError(`sid ${sid} failed the authentication proof (different secret?)`);
    }
    if (this.role === 'acceptor') {
      const verdict = this.p.decide?.(sid) ?? 'keep';
      this.socket.write(frameOf(encodeProof(this.myProof(), verdict)));
      if (verdict === 'keep') this.open();
      else this.close(`sid ${sid} is lower than ours: we dial it instead`, true);
      return;
    }
    if (msg.verdict === 'keep') this.open();
    else this.close(`sid ${sid} is higher than ours: it dials us instead`, true);
  }

  private checkHello(msg: Hello): void {
    if (msg.channel !== this.channel) throw new HandshakeError(`HELLO for the ${msg.channel} channel on the ${this.channel} port`);
    if (msg.sid === this.p.mySid) throw new HandshakeError(`peer claims our own sid ${msg.sid}`);
    if (!this.p.isKnownSid(msg.sid)) throw new HandshakeError(`sid ${msg.sid} is not in the server list`);
    if (this.p.expectedSid !== undefined && msg.sid !== this.p.expectedSid) {
      throw new HandshakeError(`dialed sid ${this.p.expectedSid} but sid ${msg.sid} answered`);
    }
  }

  private myProof(): Buffer {
    return proofOf(this.p.secret, this.peerNonce!, this.p.mySid, this.peerSid!, this.channel);
  }

  private sendHello(): void {
    this.socket.write(frameOf(encodeHello(this.p.mySid, this.channel, this.myNonce)));
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = performance.now();
    clearTimeout(this.deadline);
    this.decoder.maxFrame = this.p.maxMessageBytes;
    this.emit('open', this.peerSid!);
  }
}

function frameOf(payload: Buffer): Buffer {
  return concatFrames([payload]);
}
