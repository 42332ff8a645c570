/**
 * The session engine: connects (with shuffled failover over the connect string's hosts), handshakes, pipelines
 * requests and matches replies by xid in order, pings, reconnects within the session timeout keeping the
 * session (re-sending auth and re-registering watches with setWatches2), and dispatches watch events.
 * Record layouts stay in the callers' encode/decode functions; this file only routes frames.
 */
import { EventEmitter } from 'node:events';
import { JuteReader, type JuteWriter } from '../jute/buffer.ts';
import { DEFAULT_JUTE_MAXBUFFER, ErrorCode, EventType, KeeperState, OpCode, Xid } from '../jute/constants.ts';
import {
  AuthPacketCodec,
  ConnectRequestCodec,
  ConnectResponseCodec,
  ReplyHeaderCodec,
  RequestHeaderCodec,
  SetWatches2Codec,
  WatcherEventCodec,
  type ConnectResponse,
  type ReplyHeader,
} from '../jute/records.ts';
import { Connection } from './connection.ts';
import { parseConnectString, shuffled, type HostPort } from './connect-string.ts';
import { ZkError } from './errors.ts';
import { Chroot } from './paths.ts';
import { WatchRegistry, type WatchedEvent, type Watcher } from './watches.ts';

export type ClientState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed' | 'authfailed';

export interface ZkClientOptions {
  /** Requested session timeout in ms (the server clamps it to [2, 20] ticks). */
  sessionTimeout?: number;
  /** Time allowed for one TCP connect + handshake; default sessionTimeout / number of hosts, as Java does. */
  connectTimeout?: number;
  sessionId?: bigint;
  sessionPassword?: Buffer;
  auth?: Array<{ scheme: string; auth: Buffer | string }>;
  readOnly?: boolean;
  defaultWatcher?: Watcher;
  /** Largest frame accepted from the server (jute.maxbuffer); default ZooKeeper's 1 MiB plus headroom. */
  maxFrame?: number;
}

export interface Request<T> {
  type: number;
  /** Client path, for error messages. */
  path?: string;
  encode(w: JuteWriter): void;
  /** Turns the reply into a result; throws ZkError for errors. Runs before any later frame is handled. */
  reply(header: ReplyHeader, body: JuteReader): T;
}

interface Pending {
  xid: number;
  request: Request<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

interface AuthEntry {
  scheme: string;
  auth: Buffer;
  waiters: Array<{ resolve(): void; reject(e: unknown): void }>;
}

const DEFAULT_SESSION_TIMEOUT = 30_000;
const SET_WATCHES_MAX_BYTES = 128 * 1024; // Java splits setWatches the same way so no packet nears jute.maxbuffer
const MAX_XID = 0x7fffffff;

export interface SessionEvents {
  state: [state: ClientState];
  event: [event: WatchedEvent];
}

export class Session extends EventEmitter<SessionEvents> {
  readonly chroot: Chroot;
  readonly watches = new WatchRegistry();
  private readonly hosts: HostPort[];
  private hostCursor = 0;
  private readonly requestedTimeout: number;
  private readonly maxFrame: number;

  state: ClientState = 'connecting';
  sessionId: bigint;
  sessionPassword: Buffer;
  sessionTimeout: number;
  readOnlyServer = false;
  lastZxid = 0n;

  private conn: Connection | null = null;
  private started = false;
  private closing = false;
  private xid = 0;
  private readonly waiting: Pending[] = [];
  private readonly inFlight: Pending[] = [];
  private readonly auths: AuthEntry[] = [];
  private authInFlight: Array<{ entry: AuthEntry; waiters: AuthEntry['waiters'] }> = [];
  private ticker: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;

  /** A stable watcher standing for "the default watcher" (boolean watches), so it dedups like any other. */
  readonly defaultDispatch: Watcher = (e) => this.options.defaultWatcher?.(e);

  constructor(connectString: string, private readonly options: ZkClientOptions = {}) {
    super();
    const parsed = parseConnectString(connectString);
    this.hosts = shuffled(parsed.hosts);
    this.chroot = new Chroot(parsed.chroot);
    this.requestedTimeout = options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT;
    this.sessionTimeout = this.requestedTimeout;
    this.sessionId = options.sessionId ?? 0n;
    this.sessionPassword = options.sessionPassword ?? Buffer.alloc(16);
    this.maxFrame = options.maxFrame ?? DEFAULT_JUTE_MAXBUFFER + 1024 * 1024;
    for (const a of options.auth ?? []) this.auths.push({ scheme: a.scheme, auth: toAuthBuffer(a.auth), waiters: [] });
  }

  get isTerminal(): boolean {
    return this.state === 'closed' || this.state === 'expired' || this.state === 'authfailed';
  }

  /** Starts connecting; resolves once connected and the initial auth packets were accepted. */
  async start(): Promise<void> {
    if (this.isTerminal) throw this.terminalError();
    const initialAuth = this.started ? [] : this.auths.map((a) => new Promise<void>((resolve, reject) => a.waiters.push({ resolve, reject })));
    if (!this.started) {
      this.started = true;
      void this.connectLoop();
    }
    await this.untilConnected();
    await Promise.all(initialAuth);
  }

  private untilConnected(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.isTerminal) return Promise.reject(this.terminalError());
    const deadline = Math.max(this.requestedTimeout, this.options.connectTimeout ?? 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(new ZkError(ErrorCode.CONNECTIONLOSS, undefined, `could not connect to any of ${this.describeHosts()} within ${deadline} ms`));
        // Never connected, so no session to expire: what waited for the connection lost it.
        for (const p of this.waiting.splice(0)) {
          if (p.timer) clearTimeout(p.timer);
          p.reject(new ZkError(ErrorCode.CONNECTIONLOSS, p.request.path));
        }
        void this.close();
      }, deadline);
      const onState = (s: ClientState): void => {
        if (s === 'connected') {
          clearTimeout(timer);
          this.off('state', onState);
          resolve();
        } else if (this.isTerminal) {
          clearTimeout(timer);
          this.off('state', onState);
          reject(this.terminalError());
        }
      };
      this.on('state', onState);
    });
  }

  private describeHosts(): string {
    return this.hosts.map((h) => `${h.host}:${h.port}`).join(',');
  }

  // ---------- connecting ----------

  private async connectLoop(): Promise<void> {
    let failuresInCycle = 0;
    while (!this.closing && !this.isTerminal) {
      const host = this.hosts[this.hostCursor % this.hosts.length]!;
      this.hostCursor++;
      const attemptTimeout = this.options.connectTimeout ?? Math.max(1000, Math.floor(this.requestedTimeout / this.hosts.length));
      try {
        const conn = await Connection.open(host.host, host.port, attemptTimeout, this.maxFrame);
        if (this.closing || this.isTerminal) {
          conn.destroy();
          return;
        }
        const response = await this.handshake(conn, attemptTimeout);
        if (response.timeOut <= 0) {
          conn.destroy();
          this.expire();
          return;
        }
        this.onConnected(conn, response);
        return;
      } catch {
        failuresInCycle++;
        if (failuresInCycle >= this.hosts.length) {
          // Tried every host: back off a little (randomised, like Java) instead of spinning.
          failuresInCycle = 0;
          await new Promise<void>((resolve) => {
            this.reconnectTimer = setTimeout(resolve, 100 + Math.floor(Math.random() * 900));
          });
          this.reconnectTimer = null;
        }
      }
    }
  }

  private handshake(conn: Connection, timeoutMs: number): Promise<ConnectResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        conn.off('frame', onFrame);
        conn.off('close', onClose);
      };
      const fail = (e: Error): void => {
        cleanup();
        conn.destroy();
        reject(e);
      };
      const onFrame = (payload: Buffer): void => {
        cleanup();
        try {
          resolve(ConnectResponseCodec.decode(payload));
        } catch (e) {
          conn.destroy();
          reject(e);
        }
      };
      const onClose = (reason: Error | null): void => fail(reason ?? new Error('closed during handshake'));
      conn.on('frame', onFrame);
      conn.on('close', onClose);
      conn.send((w) =>
        ConnectRequestCodec.write(w, {
          protocolVersion: 0,
          lastZxidSeen: this.lastZxid,
          timeOut: this.requestedTimeout,
          sessionId: this.sessionId,
          passwd: this.sessionPassword,
          readOnly: this.options.readOnly ?? false,
        }),
      );
    });
  }

  private onConnected(conn: Connection, response: ConnectResponse): void {
    this.conn = conn;
    this.sessionId = response.sessionId;
    this.sessionPassword = response.passwd ?? Buffer.alloc(16);
    this.sessionTimeout = response.timeOut;
    this.readOnlyServer = response.readOnly === true;
    conn.on('frame', (payload) => this.onFrame(conn, payload));
    conn.on('close', () => this.onConnectionClosed(conn));

    // Same order as Java's primeConnection: watches, then auth, then whatever waited for the connection.
    this.sendSetWatches(conn);
    for (const entry of this.auths) this.sendAuth(conn, entry);
    for (const p of this.waiting.splice(0)) this.transmit(conn, p);
    this.startTicker(conn);
    this.setState('connected');
    this.deliverStateEvent(this.readOnlyServer ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected);
  }

  private sendSetWatches(conn: Connection): void {
    if (this.watches.isEmpty) return;
    const all = this.watches.paths();
    const toServer = (paths: string[]): string[] => paths.map((p) => this.chroot.toServer(p));
    const lists = [toServer(all.data), toServer(all.exist), toServer(all.child), toServer(all.persistent), toServer(all.recursive)];
    const batch: string[][] = [[], [], [], [], []];
    let bytes = 0;
    const flush = (): void => {
      if (batch.every((l) => l.length === 0)) return;
      const [dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches] = batch.map((l) => l.splice(0)) as [string[], string[], string[], string[], string[]];
      conn.send((w) => {
        RequestHeaderCodec.write(w, { xid: Xid.setWatches, type: OpCode.setWatches2 });
        SetWatches2Codec.write(w, { relativeZxid: this.lastZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches });
      });
      bytes = 0;
    };
    lists.forEach((list, i) => {
      for (const path of list) {
        if (bytes + path.length + 4 > SET_WATCHES_MAX_BYTES) flush();
        batch[i]!.push(path);
        bytes += Buffer.byteLength(path) + 4;
      }
    });
    flush();
  }

  private sendAuth(conn: Connection, entry: AuthEntry): void {
    this.authInFlight.push({ entry, waiters: entry.waiters.splice(0) });
    conn.send((w) => {
      RequestHeaderCodec.write(w, { xid: Xid.auth, type: OpCode.auth });
      AuthPacketCodec.write(w, { type: 0, scheme: entry.scheme, auth: entry.auth });
    });
  }

  // ---------- liveness ----------

  private startTicker(conn: Connection): void {
    this.stopTicker();
    const pingEvery = Math.max(1, Math.floor(this.sessionTimeout / 3));
    const readTimeout = Math.floor((this.sessionTimeout * 2) / 3);
    this.ticker = setInterval(() => {
      const now = Date.now();
      if (now - conn.lastReceived >= readTimeout) {
        conn.destroy(new Error(`no reply from server for ${now - conn.lastReceived} ms`));
        return;
      }
      if (now - conn.lastSent >= pingEvery) {
        conn.send((w) => RequestHeaderCodec.write(w, { xid: Xid.ping, type: OpCode.ping }));
      }
    }, Math.max(10, Math.floor(this.sessionTimeout / 10)));
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  // ---------- frames ----------

  private onFrame(conn: Connection, payload: Buffer): void {
    const r = new JuteReader(payload);
    let header: ReplyHeader;
    try {
      header = ReplyHeaderCodec.read(r);
    } catch (e) {
      conn.destroy(e as Error);
      return;
    }
    switch (header.xid) {
      case Xid.ping:
      case Xid.setWatches:
        return;
      case Xid.notification:
        this.onNotification(conn, r);
        return;
      case Xid.auth:
        this.onAuthReply(conn, header.err);
        return;
    }
    if (header.zxid > 0n) this.lastZxid = header.zxid;
    const pending = this.inFlight.shift();
    if (!pending || pending.xid !== header.xid) {
      // Replies come in request order; anything else means the stream is corrupt.
      if (pending) this.inFlight.unshift(pending);
      conn.destroy(new Error(`xid out of order: got ${header.xid}, expected ${pending?.xid ?? 'none'}`));
      return;
    }
    try {
      pending.resolve(pending.request.reply(header, r));
    } catch (e) {
      pending.reject(e);
    }
  }

  private onNotification(conn: Connection, r: JuteReader): void {
    let raw;
    try {
      raw = WatcherEventCodec.read(r);
    } catch (e) {
      conn.destroy(e as Error);
      return;
    }
    const event: WatchedEvent = { type: raw.type, state: raw.state, path: this.chroot.toClient(raw.path) };
    this.dispatch(event, this.watches.materialize(event.type, event.path));
  }

  private onAuthReply(conn: Connection, err: number): void {
    const waiters = this.authInFlight.shift()?.waiters ?? [];
    if (err === ErrorCode.AUTHFAILED) {
      const error = new ZkError(ErrorCode.AUTHFAILED);
      for (const w of waiters) w.reject(error);
      this.terminate('authfailed', KeeperState.AuthFailed);
      conn.destroy();
      return;
    }
    for (const w of waiters) w.resolve();
  }

  /** Runs each watcher once; a throwing watcher must not stop the others or the frame loop (Java logs and goes on). */
  dispatch(event: WatchedEvent, watchers: Iterable<Watcher>): void {
    this.emit('event', event);
    for (const w of watchers) {
      try {
        w(event);
      } catch (e) {
        console.error('ZkClient: error while calling watcher', e);
      }
    }
  }

  private deliverStateEvent(state: number): void {
    this.dispatch({ type: EventType.None, state, path: '' }, [this.defaultDispatch]);
  }

  // ---------- requests ----------

  submit<T>(request: Request<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { xid: 0, request, resolve: resolve as (v: unknown) => void, reject };
      if (this.isTerminal || this.closing) {
        reject(this.terminalError(request.path));
        return;
      }
      if (this.state === 'connected' && this.conn) {
        this.transmit(this.conn, pending);
        return;
      }
      // Wait for the (re)connection, but not beyond the session timeout: by then the session is likely gone.
      pending.timer = setTimeout(() => {
        const i = this.waiting.indexOf(pending);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ZkError(ErrorCode.CONNECTIONLOSS, request.path));
      }, this.sessionTimeout);
      this.waiting.push(pending);
    });
  }

  private transmit(conn: Connection, pending: Pending): void {
    if (pending.timer) clearTimeout(pending.timer);
    this.xid = this.xid >= MAX_XID ? 1 : this.xid + 1;
    pending.xid = this.xid;
    this.inFlight.push(pending);
    const { request } = pending;
    conn.send((w) => {
      RequestHeaderCodec.write(w, { xid: pending.xid, type: request.type });
      request.encode(w);
    });
  }

  addAuth(scheme: string, auth: Buffer | string): Promise<void> {
    if (this.isTerminal || this.closing) return Promise.reject(this.terminalError());
    return new Promise((resolve, reject) => {
      const entry: AuthEntry = { scheme, auth: toAuthBuffer(auth), waiters: [{ resolve, reject }] };
      this.auths.push(entry);
      if (this.state === 'connected' && this.conn) this.sendAuth(this.conn, entry);
    });
  }

  get isConnected(): boolean {
    return this.state === 'connected' && this.conn !== null;
  }

  // ---------- losing the connection / the session ----------

  private onConnectionClosed(conn: Connection): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.stopTicker();
    // Auth packets not yet answered are re-sent on the next connection; their waiters go back with them.
    for (const { entry, waiters } of this.authInFlight.splice(0)) entry.waiters.unshift(...waiters);
    const lost = this.inFlight.splice(0);
    for (const p of lost) {
      if (p.request.type === OpCode.closeSession) p.resolve(undefined);
      else p.reject(new ZkError(ErrorCode.CONNECTIONLOSS, p.request.path));
    }
    if (this.isTerminal || this.closing) return;
    this.setState('disconnected');
    this.deliverStateEvent(KeeperState.Disconnected);
    void this.connectLoop();
  }

  private expire(): void {
    this.terminate('expired', KeeperState.Expired);
  }

  /** Enters a final state: fails everything outstanding and stops reconnecting. */
  private terminate(state: 'expired' | 'authfailed' | 'closed', keeperState: number): void {
    if (this.isTerminal) return;
    this.stopTicker();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.setState(state);
    const error = this.terminalError();
    for (const p of [...this.inFlight.splice(0), ...this.waiting.splice(0)]) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(this.terminalError(p.request.path));
    }
    for (const entry of this.auths) for (const w of entry.waiters.splice(0)) w.reject(error);
    for (const { waiters } of this.authInFlight.splice(0)) for (const w of waiters) w.reject(error);
    this.deliverStateEvent(keeperState);
    const conn = this.conn;
    this.conn = null;
    conn?.destroy();
  }

  /** Java's conLossPacket: what a request gets once the client can no longer send. */
  terminalError(path?: string): ZkError {
    if (this.state === 'authfailed') return new ZkError(ErrorCode.AUTHFAILED, path);
    if (this.state === 'expired' || this.state === 'closed' || this.closing) return new ZkError(ErrorCode.SESSIONEXPIRED, path);
    return new ZkError(ErrorCode.CONNECTIONLOSS, path);
  }

  async close(closeTimeoutMs = Math.min(this.sessionTimeout, 5000)): Promise<void> {
    if (this.isTerminal || this.closing) return;
    const conn = this.isConnected ? this.conn : null;
    if (conn) {
      const request: Request<void> = { type: OpCode.closeSession, encode: () => {}, reply: () => undefined };
      const done = this.submit(request).catch(() => undefined);
      this.closing = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)))]);
      clearTimeout(timer);
    }
    this.closing = true;
    this.terminate('closed', KeeperState.Closed);
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}

function toAuthBuffer(auth: Buffer | string): Buffer {
  return typeof auth === 'string' ? Buffer.from(auth, 'utf8') : auth;
}
