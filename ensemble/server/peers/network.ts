/**
 * PeerNetwork: the authenticated, self-healing mesh between the servers of an ensemble, carrying opaque
 * payloads on two channels (quorum, election). It knows no message layouts; ZAB sits on top.
 *
 * Connections (like ZooKeeper's QuorumCnxManager): between two servers, per channel, only the connection
 * dialed by the HIGHER sid is kept. The lower sid still dials ("knocks") while it has no connection; the
 * higher one authenticates the knock, sends it away and dials back at once, so a restarted low-sid server
 * is reconnected without waiting for the other's backoff. A new connection from the higher sid replaces an
 * older one (the older is presumed dead). Reconnects back off from 50 ms to 1 s.
 *
 * Sending never blocks: payloads queue per peer and channel (Outbox: bounded, oldest dropped when full),
 * survive reconnects, and are written in batches — everything queued before the next setImmediate goes
 * out in one socket.write while the socket is not backed up.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { PeerConnection, type CloseInfo } from './connection.ts';
import type { Verdict } from './handshake.ts';
import { Outbox } from './outbox.ts';
import { checkPeerSecurity } from './secret.ts';
import {
  CHANNELS,
  DEFAULTS,
  PeerConfigError,
  portOf,
  type Channel,
  type LinkStats,
  type PeerAddress,
  type PeerNetworkOptions,
  type PerChannel,
} from './types.ts';

/** Stop handing batches to a socket that has this much unsent data; resume on 'drain'. */
const SOCKET_HIGH_WATER = 1024 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;

export interface RejectedConnection {
  channel: Channel;
  remote: string;
  /** The sid the stranger claimed, when it got that far. */
  claimedSid: number | null;
  reason: string;
}

interface Slot {
  peer: PeerAddress;
  channel: Channel;
  /** The authenticated connection in use. */
  conn: PeerConnection | null;
  /** Our outgoing attempt (a real dial, or a knock when the peer's sid is higher). */
  dialing: PeerConnection | null;
  retryTimer: NodeJS.Timeout | null;
  backoffMs: number;
  outbox: Outbox;
  flushScheduled: boolean;
  drainWaitFor: PeerConnection | null;
  stats: Omit<LinkStats, 'up' | 'queued' | 'queuedBytes' | 'dialedBy'>;
}

type Events = {
  message: [sid: number, channel: Channel, payload: Buffer];
  up: [sid: number, channel: Channel];
  down: [sid: number, channel: Channel];
  rejected: [info: RejectedConnection];
};

export class PeerNetwork extends EventEmitter<Events> {
  readonly sid: number;
  readonly me: PeerAddress;
  private readonly servers: ReadonlyMap<number, PeerAddress>;
  private readonly slots = new Map<string, Slot>();
  private readonly listenSockets: PerChannel<net.Server | null> = { quorum: null, election: null };
  private readonly pending = new Set<PeerConnection>();
  private readonly secret: Buffer;
  private readonly maxMessageBytes: PerChannel<number>;
  private readonly handshakeTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxPendingHandshakes: number;
  private readonly log: (msg: string) => void;
  private closed = false;

  /** Validates the options, listens on my quorum and election ports, and starts connecting to every peer. */
  static async start(options: PeerNetworkOptions): Promise<PeerNetwork> {
    const network = new PeerNetwork(options);
    try {
      await network.listenAll();
    } catch (e) {
      await network.close();
      throw e;
    }
    network.connectAll();
    return network;
  }

  private constructor(o: PeerNetworkOptions) {
    super();
    const byId = new Map<number, PeerAddress>();
    for (const s of o.servers) {
      if (!Number.isSafeInteger(s.sid) || s.sid < 0) throw new PeerConfigError(`invalid sid ${s.sid}`);
      if (byId.has(s.sid)) throw new PeerConfigError(`server.${s.sid} is listed twice`);
      byId.set(s.sid, s);
    }
    const me = byId.get(o.sid);
    if (!me) throw new PeerConfigError(`my sid ${o.sid} is not in the server list`);
    checkPeerSecurity(o.servers, o.secret);
    this.sid = o.sid;
    this.me = me;
    this.servers = byId;
    this.secret = o.secret && o.secret.length > 0 ? o.secret : Buffer.alloc(0);
    this.maxMessageBytes = { ...DEFAULTS.maxMessageBytes, ...o.maxMessageBytes };
    const maxQueuedBytes = { ...DEFAULTS.maxQueuedBytes, ...o.maxQueuedBytes };
    this.handshakeTimeoutMs = o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs;
    this.connectTimeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    this.backoffInitialMs = o.backoff?.initialMs ?? DEFAULTS.backoffInitialMs;
    this.backoffMaxMs = o.backoff?.maxMs ?? DEFAULTS.backoffMaxMs;
    this.maxPendingHandshakes = o.maxPendingHandshakes ?? DEFAULTS.maxPendingHandshakes;
    this.log = o.log ?? (() => {});
    for (const peer of byId.values()) {
      if (peer.sid === o.sid) continue;
      for (const channel of CHANNELS) {
        this.slots.set(slotKey(peer.sid, channel), {
          peer,
          channel,
          conn: null,
          dialing: null,
          retryTimer: null,
          backoffMs: this.backoffInitialMs,
          outbox: new Outbox(o.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages, maxQueuedBytes[channel]),
          flushScheduled: false,
          drainWaitFor: null,
          stats: { dropped: 0, messagesSent: 0, messagesReceived: 0, socketWrites: 0, connections: 0 },
        });
      }
    }
  }

  /**
   * Queues `payload` for `sid` on `channel` and returns at once. false when it can never be delivered:
   * unknown sid (or my own), payload over the channel's maximum, or the network is closed.
   */
  send(sid: number, channel: Channel, payload: Buffer): boolean {
    if (this.closed) return false;
    const slot = this.slots.get(slotKey(sid, channel));
    if (!slot) return false;
    if (payload.length > this.maxMessageBytes[channel]) {
      this.log(`peers: not sending ${payload.length} bytes to sid ${sid} on ${channel}: over the ${this.maxMessageBytes[channel]}-byte limit`);
      return false;
    }
    slot.stats.dropped += slot.outbox.push(payload);
    this.scheduleFlush(slot);
    return true;
  }

  /** Every peer sid, in order. */
  get peerSids(): number[] {
    return [...this.servers.keys()].filter((s) => s !== this.sid).sort((a, b) => a - b);
  }

  isUp(sid: number, channel: Channel): boolean {
    return this.slots.get(slotKey(sid, channel))?.conn != null;
  }

  stats(sid: number, channel: Channel): LinkStats {
    const slot = this.slots.get(slotKey(sid, channel));
    if (!slot) throw new Error(`no peer ${sid}`);
    const conn = slot.conn;
    return {
      ...slot.stats,
      up: conn !== null,
      queued: slot.outbox.length,
      queuedBytes: slot.outbox.byteLength,
      dialedBy: conn === null ? null : conn.role === 'dialer' ? this.sid : sid,
    };
  }

  /** Closes listeners and connections; no events are emitted afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots.values()) {
      if (slot.retryTimer) clearTimeout(slot.retryTimer);
      slot.retryTimer = null;
      slot.dialing?.close('network closed');
      slot.conn?.close('network closed');
      slot.outbox.clear();
    }
    for (const conn of this.pending) conn.close('network closed');
    await Promise.all(
      CHANNELS.map(
        (channel) =>
          new Promise<void>((resolve) => {
            const server = this.listenSockets[channel];
            if (!server || !server.listening) return resolve();
            server.close(() => resolve());
          }),
      ),
    );
  }

  private async listenAll(): Promise<void> {
    for (const channel of CHANNELS) {
      const port = portOf(this.me, channel);
      const server = net.createServer((socket) => this.onIncoming(channel, socket));
      this.listenSockets[channel] = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) =>
          reject(new PeerConfigError(`cannot listen on the ${channel} port ${this.me.host}:${port}: ${e.message}`)),
        );
        // Only on my server.N address: a peer port on every interface would widen what can reach it.
        server.listen({ host: this.me.host, port, exclusive: true }, () => resolve());
      });
      server.on('error', (e) => this.log(`peers: ${channel} listener error: ${e.message}`));
    }
  }

  private connectAll(): void {
    for (const slot of this.slots.values()) this.dial(slot);
  }

  private onIncoming(channel: Channel, socket: net.Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.closed || this.pending.size >= this.maxPendingHandshakes) {
      socket.destroy();
      if (!this.closed) this.reject({ channel, remote, claimedSid: null, reason: 'too many connections in handshake' });
      return;
    }
    const conn: PeerConnection = new PeerConnection({
      socket,
      role: 'acceptor',
      channel,
      mySid: this.sid,
      isKnownSid: (sid) => this.servers.has(sid),
      secret: this.secret,
      maxMessageBytes: this.maxMessageBytes[channel],
      deadlineMs: this.handshakeTimeoutMs,
      decide: (sid) => this.decide(channel, sid, conn),
    });
    this.pending.add(conn);
    conn.on('open', (sid) => {
      this.pending.delete(conn);
      this.adopt(this.slotOf(sid, channel), conn);
    });
    conn.on('close', (info) => {
      this.pending.delete(conn);
      if (info.opened) return this.onEstablishedClose(this.slotOf(conn.peerSid!, channel), conn, info);
      if (!info.redirected) this.reject({ channel, remote, claimedSid: conn.peerSid, reason: info.reason });
    });
  }

  /** The duplicate-connection rule, applied when an authenticated dialer asks to be kept. */
  private decide(channel: Channel, sid: number, knock: PeerConnection): Verdict {
    if (sid > this.sid) return 'keep';
    const slot = this.slotOf(sid, channel);
    if (slot.conn && slot.conn.openedAt > knock.startedAt) return 'redial'; // knocked before our call got through
    if (slot.conn) slot.conn.close(`sid ${sid} dialed us, so it no longer sees this connection`);
    this.dialNow(slot);
    return 'redial';
  }

  private dialNow(slot: Slot): void {
    if (slot.retryTimer) clearTimeout(slot.retryTimer);
    slot.retryTimer = null;
    slot.backoffMs = this.backoffInitialMs;
    this.dial(slot);
  }

  private dial(slot: Slot): void {
    slot.retryTimer = null;
    if (this.closed || slot.conn || slot.dialing) return;
    const socket = net.connect({ host: slot.peer.host, port: portOf(slot.peer, slot.channel) });
    const conn = new PeerConnection({
      socket,
      role: 'dialer',
      channel: slot.channel,
      mySid: this.sid,
      expectedSid: slot.peer.sid,
      isKnownSid: (sid) => this.servers.has(sid),
      secret: this.secret,
      maxMessageBytes: this.maxMessageBytes[slot.channel],
      deadlineMs: this.connectTimeoutMs + this.handshakeTimeoutMs,
    });
    slot.dialing = conn;
    conn.on('open', () => {
      if (slot.dialing === conn) slot.dialing = null;
      this.adopt(slot, conn);
    });
    conn.on('close', (info) => {
      if (slot.dialing === conn) slot.dialing = null;
      if (info.opened) return this.onEstablishedClose(slot, conn, info);
      if (!info.redirected && !this.closed && !/ECONNREFUSED|closed by the other side|superseded/.test(info.reason)) {
        this.log(`peers: connecting to sid ${slot.peer.sid} (${slot.channel}) failed: ${info.reason}`);
      }
      this.scheduleRetry(slot);
    });
  }

  private adopt(slot: Slot, conn: PeerConnection): void {
    if (this.closed) return conn.close('network closed');
    if (slot.conn) slot.conn.close('replaced by a newer connection'); // emits 'down' first
    if (slot.retryTimer) clearTimeout(slot.retryTimer);
    slot.retryTimer = null;
    if (slot.dialing && slot.dialing !== conn) slot.dialing.close('superseded');
    slot.conn = conn;
    slot.backoffMs = this.backoffInitialMs;
    slot.stats.connections++;
    conn.on('frame', (payload) => {
      if (slot.conn !== conn || this.closed) return;
      slot.stats.messagesReceived++;
      this.emit('message', slot.peer.sid, slot.channel, payload);
    });
    this.emit('up', slot.peer.sid, slot.channel);
    this.scheduleFlush(slot);
  }

  private onEstablishedClose(slot: Slot, conn: PeerConnection, info: CloseInfo): void {
    if (slot.conn !== conn) return;
    slot.conn = null;
    if (this.closed) return;
    this.log(`peers: lost sid ${slot.peer.sid} (${slot.channel}): ${info.reason}`);
    this.emit('down', slot.peer.sid, slot.channel);
    this.scheduleRetry(slot);
  }

  private scheduleRetry(slot: Slot): void {
    if (this.closed || slot.conn || slot.dialing || slot.retryTimer) return;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(this.backoffMaxMs, delay * 2);
    slot.retryTimer = setTimeout(() => this.dial(slot), delay);
    slot.retryTimer.unref();
  }

  private scheduleFlush(slot: Slot): void {
    if (slot.flushScheduled || !slot.conn || slot.outbox.length === 0) return;
    slot.flushScheduled = true;
    setImmediate(() => {
      slot.flushScheduled = false;
      this.flush(slot);
    });
  }

  private flush(slot: Slot): void {
    const conn = slot.conn;
    if (!conn || this.closed || slot.outbox.length === 0) return;
    if (conn.writableLength >= SOCKET_HIGH_WATER) {
      if (slot.drainWaitFor !== conn) {
        slot.drainWaitFor = conn;
        conn.onceDrain(() => {
          if (slot.drainWaitFor === conn) slot.drainWaitFor = null;
          this.scheduleFlush(slot);
        });
      }
      return;
    }
    const batch = slot.outbox.takeBatch(BATCH_BYTES);
    slot.stats.socketWrites += conn.write(batch);
    slot.stats.messagesSent += batch.length;
    this.scheduleFlush(slot);
  }

  private slotOf(sid: number, channel: Channel): Slot {
    const slot = this.slots.get(slotKey(sid, channel));
    if (!slot) throw new Error(`no slot for sid ${sid} ${channel}`); // the handshake admits known sids only
    return slot;
  }

  private reject(info: RejectedConnection): void {
    this.log(`peers: rejected ${info.channel} connection from ${info.remote}${info.claimedSid !== null ? ` (claims sid ${info.claimedSid})` : ''}: ${info.reason}`);
    this.emit('rejected', info);
  }
}

function slotKey(sid: number, channel: Channel): string {
  return `${sid}/${channel}`;
}
