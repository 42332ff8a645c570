/**
 * The request pipeline: prepare → submit → (replicator: stamp, persist, replicate, commit) → apply → reply.
 *
 * Writes go to the Replicator at once (no zxid yet), so many are in flight. The Replicator delivers committed Txns
 * in zxid order, from any origin; each is applied, and answered when its (sessionId, cxid) is one of our pending
 * requests (a Txn of another server's session is applied without a reply). The watch notifications an apply causes are written to
 * the watching sessions' sockets right then, before any reply that could show the change is written.
 * Replies leave in request order per connection (ZooKeeper's per-session FIFO). Each connection has a queue:
 * a read at its head runs at once against the tree; a write at its head waits until applied. Right after a txn
 * is applied its connection's queue is pumped synchronously, so a read sees exactly its session's earlier writes
 * and none of its later ones (which cannot be applied before that pump), as ZooKeeper's CommitProcessor ensures.
 */
import {
  AuthPacketCodec,
  Create2ResponseCodec,
  CreateResponseCodec,
  ErrorCode,
  GetACLResponseCodec,
  GetAllChildrenNumberResponseCodec,
  GetDataResponseCodec,
  GetEphemeralsResponseCodec,
  EventType,
  KeeperState,
  OpCode,
  StatCodec,
  WhoAmIResponseCodec,
  writeMultiResponse,
  type ConnectRequest,
  type ConnectResponse,
  type Id,
  type JuteWriter,
  type MultiResult,
  type SetWatches2,
  type WatcherEvent,
} from '../jute/index.ts';
import type { ApplyResult, DataTreeApi, Txn, TxnOp, WatchManagerApi } from '../tree/api.ts';
import { authenticate, clientInfoOf } from './auth.ts';
import type { Replicator, WriteRequest } from './replicator.ts';
import { decodeRequest, type ReadRequest } from './requests.ts';
import { negotiateTimeout, newPassword, SessionTracker, type Session } from './sessions.ts';
import type { ServerStats } from './stats.ts';
import { WatchBudget } from './watch-budget.ts';

/** What the pipeline needs from a client connection. */
export interface ClientLink {
  /** 0n until the handshake completes. */
  sessionId: bigint;
  /** The identities of this connection: its peer `ip`, plus what auth packets added. */
  readonly auth: Id[];
  readonly peerIp: string;
  readonly closed: boolean;
  sendReply(xid: number, zxid: bigint, err: number, body?: (w: JuteWriter) => void, opcode?: number): void;
  sendEvent(event: WatcherEvent): void;
  /** Closes after everything written so far is flushed. */
  close(reason: string): void;
}

export interface PipelineOptions {
  /** `super:<hash>`: a session authenticated with it also gets the `super` identity (shown by whoAmI). */
  superDigest?: string;
  tree: DataTreeApi;
  watches: WatchManagerApi;
  replicator: Replicator;
  sessions: SessionTracker<ClientLink>;
  stats: ServerStats;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  /** Live sessions (this server knows the whole ensemble's); a new session beyond it is refused. Default unbounded. */
  maxSessions?: number;
  /** Distinct paths one session may watch; a request adding more is answered QUOTAEXCEEDED. Default unbounded. */
  maxWatchesPerSession?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

/** A write we submitted, waiting for its Txn to come back committed. */
interface Waiter {
  opType: TxnOp['type'];
  /** Called synchronously right after the apply. */
  applied(zxid: bigint, r: ApplyResult): void;
  failed(e: Error): void;
}

/** The replicator refused a write: this node is not serving now. */
export class NotServingError extends Error {
  constructor() {
    super('this server is not serving writes now');
    this.name = 'NotServingError';
  }
}

/** A request waiting for its turn to be answered. */
type Pending =
  /** `waiting`: a sync that is answered once the replicator has caught this node up. */
  | { kind: 'read'; xid: number; type: number; read: ReadRequest; waiting?: boolean }
  | { kind: 'write'; xid: number; type: number; zxid: bigint; result: ApplyResult | null; error: Error | null }
  /** `closeAfter`: the connection is closed once this error is written (CONNECTIONLOSS when not serving). */
  | { kind: 'error'; xid: number; type: number; zxid: bigint | null; err: number; closeAfter?: string };

export class Pipeline {
  private readonly tree: DataTreeApi;
  private readonly watches: WatchBudget;
  private readonly replicator: Replicator;
  readonly sessions: SessionTracker<ClientLink>;
  private readonly stats: ServerStats;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  /** Our submitted writes by `sessionId:cxid`, oldest first (server-generated ones share the key 0:0). */
  private readonly waiters = new Map<string, Waiter[]>();
  private waiting = 0;
  /** Each connection's requests not yet answered, in arrival order. */
  private readonly queues = new Map<ClientLink, Pending[]>();

  constructor(private readonly opts: PipelineOptions) {
    this.tree = opts.tree;
    this.watches = new WatchBudget(opts.watches, opts.maxWatchesPerSession ?? Infinity);
    this.replicator = opts.replicator;
    this.sessions = opts.sessions;
    this.stats = opts.stats;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.replicator.onCommit((txn) => this.committed(txn));
    this.replicator.onStateChange((state) => {
      if (state === 'unavailable') this.failWaiters(new NotServingError());
    });
  }

  /** Writes submitted and not yet committed. */
  get outstanding(): number {
    return this.waiting;
  }

  // ---------------------------------------------------------------- propose / commit / apply

  /** Submits `op` and resolves with its zxid and apply result once committed and applied. */
  propose(sessionId: bigint, cxid: number, auth: Id[], op: TxnOp): Promise<{ zxid: bigint; result: ApplyResult }> {
    return new Promise((resolve, reject) => {
      if (!this.submitWrite(sessionId, cxid, auth, op, (zxid, result) => resolve({ zxid, result }), reject)) reject(new NotServingError());
    });
  }

  /** False when the replicator refused the write (nothing is pending then). */
  private submitWrite(sessionId: bigint, cxid: number, auth: Id[], op: TxnOp, applied: Waiter['applied'], failed: Waiter['failed']): boolean {
    const req: WriteRequest = { sessionId, cxid, auth: [...auth], op };
    const key = waiterKey(sessionId, cxid);
    const waiter: Waiter = { opType: op.type, applied, failed };
    let list = this.waiters.get(key);
    if (!list) this.waiters.set(key, (list = []));
    list.push(waiter);
    this.waiting++;
    let accepted = false;
    try {
      accepted = this.replicator.submit(req);
    } finally {
      if (!accepted) this.dropWaiter(key, waiter);
    }
    return accepted;
  }

  private dropWaiter(key: string, waiter: Waiter): void {
    const list = this.waiters.get(key);
    const at = list?.indexOf(waiter) ?? -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    this.waiting--;
    if (list.length === 0) this.waiters.delete(key);
  }

  /** The waiter a committed txn answers: the oldest with its (sessionId, cxid) and kind of op. */
  private takeWaiter(txn: Txn): Waiter | undefined {
    const key = waiterKey(txn.hdr.sessionId, txn.hdr.cxid);
    const list = this.waiters.get(key);
    const waiter = list?.find((w) => w.opType === txn.op.type);
    if (waiter) this.dropWaiter(key, waiter);
    return waiter;
  }

  /** Writes that will not be answered by this node (it stopped serving); their txns may still commit later. */
  private failWaiters(e: Error): void {
    const all = [...this.waiters.values()].flat();
    this.waiters.clear();
    this.waiting = 0;
    for (const w of all) w.failed(e);
  }

  /** A committed txn from the replicator, in zxid order. */
  private committed(txn: Txn): void {
    const waiter = this.takeWaiter(txn);
    let result: ApplyResult;
    try {
      result = this.apply(txn);
    } catch (e) {
      this.log(`applying txn 0x${txn.hdr.zxid.toString(16)} failed: ${(e as Error).stack ?? (e as Error).message}`);
      waiter?.failed(e as Error);
      return;
    }
    waiter?.applied(txn.hdr.zxid, result);
  }

  /** Applies one committed txn and delivers the notifications it causes. */
  apply(txn: Txn): ApplyResult {
    const result = this.tree.apply(txn);
    for (const change of result.changes) {
      for (const n of this.watches.trigger(change, (sid, path) => this.mayRead(sid, path))) {
        const link = this.sessions.get(n.sessionId)?.connection;
        if (link && !link.closed) link.sendEvent(n.event);
      }
    }
    if (txn.op.type === 'closeSession') this.sessionClosed(txn.hdr.sessionId, txn.hdr.cxid !== 0);
    return result;
  }

  private mayRead(sessionId: bigint, path: string): boolean {
    const auth = this.sessions.get(sessionId)?.connection?.auth ?? [];
    return this.tree.getData(path, auth).err !== ErrorCode.NOAUTH;
  }

  private sessionClosed(sessionId: bigint, byClient: boolean): void {
    const s = this.sessions.remove(sessionId);
    this.watches.removeSession(sessionId);
    const link = s?.connection;
    // A client's own closeSession closes its connection after the reply; an expired session's goes now.
    if (link && !byClient) link.close('session expired');
  }

  // ---------------------------------------------------------------- sessions

  /** The ConnectResponse for a ConnectRequest, or null to close without one (client ahead of us). */
  async connect(link: ClientLink, req: ConnectRequest): Promise<{ response: ConnectResponse; ok: boolean } | null> {
    if (req.lastZxidSeen > this.tree.lastZxid) {
      this.log(`Refusing session request for client ${link.peerIp} as it has seen zxid 0x${req.lastZxidSeen.toString(16)} our last zxid is 0x${this.tree.lastZxid.toString(16)}`);
      return null;
    }
    const timeout = negotiateTimeout(req.timeOut, this.opts.minSessionTimeout, this.opts.maxSessionTimeout);
    const readOnly = req.readOnly === undefined ? undefined : false;
    if (req.sessionId !== 0n) {
      // ZooKeeper closes the session's current connection before it checks the password (processConnectRequest).
      const current = this.sessions.get(req.sessionId);
      if (current?.connection && current.connection !== link) this.detach(current, 'client reconnected');
      const s = this.sessions.validate(req.sessionId, req.passwd);
      if (!s) {
        return { ok: false, response: { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly } };
      }
      this.attach(s, link, timeout);
      return { ok: true, response: { protocolVersion: 0, timeOut: timeout, sessionId: s.id, passwd: s.password, readOnly } };
    }
    if (this.sessions.size >= (this.opts.maxSessions ?? Infinity)) {
      // No ConnectResponse: the client sees the connection close and tries again later or elsewhere.
      this.log(`Refusing a new session for client ${link.peerIp}: ${this.sessions.size} sessions, the maximum is maxSessions=${this.opts.maxSessions}`);
      return null;
    }
    const id = this.sessions.newSessionId();
    const password = newPassword();
    const s = this.sessions.add(id, timeout, password);
    try {
      await this.propose(id, 0, link.auth, { type: 'createSession', timeout, password });
    } catch (e) {
      this.sessions.remove(id);
      if (e instanceof NotServingError) return null;
      throw e;
    }
    if (link.closed || s.closing) return null;
    this.attach(s, link, timeout);
    return { ok: true, response: { protocolVersion: 0, timeOut: timeout, sessionId: id, passwd: password, readOnly } };
  }

  /** Watches belong to a connection; the client re-registers them on its next one (setWatches). */
  private detach(s: Session<ClientLink>, reason: string): void {
    const previous = s.connection;
    if (!previous) return;
    s.connection = null;
    this.watches.removeSession(s.id);
    previous.close(reason);
  }

  private attach(s: Session<ClientLink>, link: ClientLink, timeout: number): void {
    if (s.connection && s.connection !== link) this.detach(s, 'session moved to another connection');
    s.connection = link;
    link.sessionId = s.id;
    this.sessions.touch(s, timeout);
  }

  /** The connection went away; the session lives on until it expires or reconnects. */
  disconnected(link: ClientLink): void {
    this.queues.delete(link);
    const s = link.sessionId !== 0n ? this.sessions.get(link.sessionId) : undefined;
    if (s && s.connection === link) {
      s.connection = null;
      this.watches.removeSession(s.id);
    }
  }

  /** Called every tick: expired sessions end in one closeSession txn each (deleting their ephemerals). */
  expireSessions(): void {
    for (const s of this.sessions.expired()) {
      this.log(`Expiring session 0x${s.id.toString(16)}, timeout of ${s.timeout}ms exceeded`);
      s.closing = true;
      this.propose(s.id, 0, [], { type: 'closeSession' }).catch((e: Error) => {
        // Not serving: try again on a later tick.
        s.closing = false;
        this.log(`closeSession of 0x${s.id.toString(16)} failed: ${e.message}`);
      });
    }
  }

  // ---------------------------------------------------------------- requests

  private enqueue(link: ClientLink, item: Pending): void {
    let q = this.queues.get(link);
    if (!q) this.queues.set(link, (q = []));
    q.push(item);
    if (q.length === 1) this.pump(link);
  }

  /** Answers the head of a connection's queue for as long as it can be answered. */
  private pump(link: ClientLink): void {
    const q = this.queues.get(link);
    if (!q) return;
    while (q.length > 0) {
      const head = q[0]!;
      if (head.kind === 'write' && !head.result && !head.error) return;
      if (head.kind === 'read' && head.waiting) return;
      q.shift();
      try {
        this.answer(link, head);
      } catch (e) {
        // Losing the quorum is expected, not a bug: the client is sent elsewhere without a stack trace in the log.
        if (e instanceof NotServingError) this.log(`closing connection: ${e.message}`);
        else this.log(`closing connection after an internal error: ${(e as Error).stack ?? (e as Error).message}`);
        link.close(e instanceof NotServingError ? 'not serving' : 'internal error');
        this.queues.delete(link);
        return;
      }
    }
  }

  private answer(link: ClientLink, item: Pending): void {
    switch (item.kind) {
      case 'error':
        link.sendReply(item.xid, item.zxid ?? this.tree.lastZxid, item.err, undefined, item.type);
        if (item.err === ErrorCode.UNIMPLEMENTED) link.close('unknown request type');
        if (item.closeAfter) link.close(item.closeAfter);
        return;
      case 'write':
        if (item.error) throw item.error;
        this.replyWrite(link, item.xid, item.type, item.zxid, item.result!);
        if (item.type === OpCode.closeSession) link.close('client closed the session');
        return;
      case 'read': {
        const session = this.sessions.get(link.sessionId);
        if (!session) return;
        this.replyRead(link, session, item.xid, item.type, item.read);
        return;
      }
    }
  }

  /** One request from an established session. */
  submit(link: ClientLink, xid: number, type: number, body: Buffer): void {
    const session = this.sessions.get(link.sessionId);
    if (!session || session.connection !== link) {
      link.close('no session');
      return;
    }
    this.sessions.touch(session);

    if (type === OpCode.auth) {
      this.handleAuth(link, body);
      return;
    }
    let decoded;
    try {
      decoded = decodeRequest(type, body);
    } catch {
      this.enqueue(link, { kind: 'error', xid, type, zxid: null, err: ErrorCode.MARSHALLINGERROR });
      return;
    }
    if (decoded.kind === 'unknown') {
      // ZooKeeper's UnimplementedRequestProcessor: UNIMPLEMENTED with zxid -1, then the connection is closed.
      this.enqueue(link, { kind: 'error', xid, type, zxid: -1n, err: ErrorCode.UNIMPLEMENTED });
      return;
    }
    if (decoded.kind === 'write') {
      const item: Pending = { kind: 'write', xid, type, zxid: 0n, result: null, error: null };
      const settle = () => {
        if (this.queues.get(link)?.[0] === item) this.pump(link);
      };
      const accepted = this.submitWrite(
        session.id,
        xid,
        link.auth,
        decoded.op,
        (zxid, r) => {
          item.zxid = zxid;
          item.result = r;
          settle();
        },
        (e) => {
          item.error = e;
          settle();
        },
      );
      if (!accepted) {
        // ZooKeeper drops the connection of a server that is not serving; the client retries elsewhere.
        this.enqueue(link, { kind: 'error', xid, type, zxid: null, err: ErrorCode.CONNECTIONLOSS, closeAfter: 'server not serving' });
        return;
      }
      if (decoded.op.type === 'closeSession') session.closing = true;
      this.enqueue(link, item);
      return;
    }
    if (decoded.read.kind === 'sync') {
      // Answered in FIFO order once this node has applied everything committed before it (followers lag).
      const item: Pending = { kind: 'read', xid, type, read: decoded.read, waiting: true };
      this.enqueue(link, item);
      this.replicator.sync().then(
        () => {
          item.waiting = false;
          if (this.queues.get(link)?.[0] === item) this.pump(link);
        },
        (e: Error) => {
          this.log(`sync failed: ${e.message}`);
          link.close('sync failed');
        },
      );
      return;
    }
    this.enqueue(link, { kind: 'read', xid, type, read: decoded.read });
  }

  private handleAuth(link: ClientLink, body: Buffer): void {
    let id: Id | null;
    try {
      const p = AuthPacketCodec.decode(body);
      id = authenticate(p.scheme, p.auth, link.peerIp);
    } catch {
      id = null;
    }
    // Auth is answered at once, outside the FIFO chain, as ZooKeeper's processPacket does (zxid 0).
    if (!id) {
      this.stats.authFailed++;
      link.sendReply(-4, 0n, ErrorCode.AUTHFAILED, undefined, OpCode.auth);
      link.close('auth failed');
      return;
    }
    const ids = [id];
    // ZooKeeper's digest provider also grants the `super` identity to the configured super digest.
    if (id.scheme === 'digest' && this.opts.superDigest && id.id === this.opts.superDigest) ids.push({ scheme: 'super', id: '' });
    for (const add of ids) if (!link.auth.some((a) => a.scheme === add.scheme && a.id === add.id)) link.auth.push(add);
    link.sendReply(-4, 0n, ErrorCode.OK, undefined, OpCode.auth);
  }

  /** The reply header of a write carries the zxid of its own txn, failed or not. */
  private replyWrite(link: ClientLink, xid: number, type: number, zxid: bigint, r: ApplyResult): void {
    if (r.err !== 0) {
      link.sendReply(xid, zxid, r.err, undefined, type);
      return;
    }
    let body: ((w: JuteWriter) => void) | undefined;
    switch (type) {
      case OpCode.create:
        body = (w) => CreateResponseCodec.write(w, { path: r.path ?? '' });
        break;
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        body = (w) => Create2ResponseCodec.write(w, { path: r.path ?? '', stat: r.stat! });
        break;
      case OpCode.setData:
      case OpCode.setACL:
        body = (w) => StatCodec.write(w, r.stat!);
        break;
      case OpCode.multi:
        body = (w) => writeMultiResponse(w, r.results ?? []);
        break;
      default:
        body = undefined; // delete, deleteContainer, check, closeSession: header only
    }
    link.sendReply(xid, zxid, 0, body, type);
  }

  private replyRead(link: ClientLink, session: Session<ClientLink>, xid: number, type: number, rq: ReadRequest): void {
    const tree = this.tree;
    const zxid = tree.lastZxid;
    const sid = session.id;
    const reply = (err: number, body?: (w: JuteWriter) => void) => link.sendReply(xid, zxid, err, err === 0 ? body : undefined, type);
    const wanted = watchPathsOf(rq);
    if (wanted.length > 0 && !this.watches.fits(sid, wanted)) {
      this.log(`session 0x${sid.toString(16)} watches ${this.watches.watchedBy(sid)} paths, the maximum is maxWatchesPerSession=${this.watches.maxPerSession}: request refused`);
      return reply(ErrorCode.QUOTAEXCEEDED);
    }
    switch (rq.kind) {
      case 'ping':
        link.sendReply(-2, zxid, 0, undefined, type);
        return;
      case 'exists': {
        const stat = tree.exists(rq.req.path);
        if (rq.req.watch && validWatchPath(rq.req.path)) this.watches.add(sid, rq.req.path, 'data');
        return stat ? reply(0, (w) => StatCodec.write(w, stat)) : reply(ErrorCode.NONODE);
      }
      case 'getData': {
        const r = tree.getData(rq.req.path, link.auth);
        if (r.err !== 0 || !('value' in r)) return reply(r.err);
        if (rq.req.watch) this.watches.add(sid, rq.req.path, 'data');
        const v = r.value;
        return reply(0, (w) => GetDataResponseCodec.write(w, v));
      }
      case 'getChildren':
      case 'getChildren2': {
        const r = tree.getEncodedChildren(rq.req.path, link.auth);
        if (r.err !== 0 || !('value' in r)) return reply(r.err);
        if (rq.req.watch) this.watches.add(sid, rq.req.path, 'child');
        const { encodedChildren, stat } = r.value;
        // GetChildrenResponse is the vector alone; GetChildren2Response is the vector then the Stat.
        return rq.kind === 'getChildren'
          ? reply(0, (w) => w.raw(encodedChildren))
          : reply(0, (w) => StatCodec.write(w.raw(encodedChildren), stat));
      }
      case 'getACL': {
        const r = tree.getACL(rq.path, link.auth);
        if (r.err !== 0 || !('value' in r)) return reply(r.err);
        const v = r.value;
        return reply(0, (w) => GetACLResponseCodec.write(w, v));
      }
      case 'getAllChildrenNumber': {
        const r = tree.getAllChildrenNumber(rq.path, link.auth);
        if (r.err !== 0 || !('value' in r)) return reply(r.err);
        const n = r.value;
        return reply(0, (w) => GetAllChildrenNumberResponseCodec.write(w, { totalNumber: n }));
      }
      case 'getEphemerals': {
        const list = tree.getEphemerals(sid, rq.prefix);
        return reply(0, (w) => GetEphemeralsResponseCodec.write(w, { ephemerals: list }));
      }
      case 'sync':
        // The replicator's sync resolved before this was answered: every write committed before it is applied.
        return reply(0, (w) => w.string(rq.path));
      case 'checkWatches':
        return reply(this.watches.has(sid, rq.path, rq.watcherType) ? 0 : ErrorCode.NOWATCHER);
      case 'removeWatches':
        return reply(this.watches.remove(sid, rq.path, rq.watcherType) ? 0 : ErrorCode.NOWATCHER);
      case 'addWatch':
        this.watches.add(sid, rq.path, rq.mode === 1 ? 'persistentRecursive' : 'persistent');
        // ZooKeeper answers addWatch with an ErrorResponse(0) body; the Java client fails to read a reply without it.
        return reply(0, (w) => w.int(0));
      case 'setWatches':
        this.setWatches(link, sid, rq.req);
        link.sendReply(-8, zxid, 0, undefined, type);
        return;
      case 'multiRead': {
        const results: MultiResult[] = rq.ops.map((op) => {
          if (op.type === OpCode.getData) {
            const r = tree.getData(op.req.path, link.auth);
            if (r.err !== 0 || !('value' in r)) return { type: OpCode.error, err: r.err };
            if (op.req.watch) this.watches.add(sid, op.req.path, 'data');
            return { type: OpCode.getData, data: r.value.data, stat: r.value.stat };
          }
          if (op.type !== OpCode.getChildren) return { type: OpCode.error, err: ErrorCode.BADARGUMENTS };
          const r = tree.getChildren(op.req.path, link.auth);
          if (r.err !== 0 || !('value' in r)) return { type: OpCode.error, err: r.err };
          if (op.req.watch) this.watches.add(sid, op.req.path, 'child');
          return { type: OpCode.getChildren, children: r.value.children };
        });
        return reply(0, (w) => writeMultiResponse(w, results));
      }
      case 'whoAmI': {
        const info = link.auth.map(clientInfoOf);
        return reply(0, (w) => WhoAmIResponseCodec.write(w, { clientInfo: info }));
      }
      case 'sasl':
        // No SASL configured: ZooKeeper answers with an empty (null) token.
        link.sendReply(xid, 0n, 0, (w) => w.buffer(null), type);
        return;
      case 'reconfig':
        return reply(ErrorCode.RECONFIGDISABLED);
      case 'refused':
        return reply(rq.err);
    }
  }

  /** DataTree.setWatches: re-register, or fire at once what changed after relativeZxid. */
  private setWatches(link: ClientLink, sid: bigint, req: SetWatches2): void {
    const fire = (type: number, path: string) => link.sendEvent({ type, state: KeeperState.SyncConnected, path });
    const rel = req.relativeZxid;
    for (const path of req.dataWatches) {
      const stat = this.tree.exists(path);
      if (!stat) fire(EventType.NodeDeleted, path);
      else if (stat.mzxid > rel) fire(EventType.NodeDataChanged, path);
      else this.watches.add(sid, path, 'data');
    }
    for (const path of req.existWatches) {
      if (this.tree.exists(path)) fire(EventType.NodeCreated, path);
      else this.watches.add(sid, path, 'data');
    }
    for (const path of req.childWatches) {
      const stat = this.tree.exists(path);
      if (!stat) fire(EventType.NodeDeleted, path);
      else if (stat.pzxid > rel) fire(EventType.NodeChildrenChanged, path);
      else this.watches.add(sid, path, 'child');
    }
    for (const path of req.persistentWatches) this.watches.add(sid, path, 'persistent');
    for (const path of req.persistentRecursiveWatches) this.watches.add(sid, path, 'persistentRecursive');
    const over = this.watches.watchedBy(sid) - this.watches.maxPerSession;
    // setWatches has no error to answer with, and these are watches the session held before it reconnected: keep them.
    if (over > 0) this.log(`session 0x${sid.toString(16)} re-registered ${over} watches over maxWatchesPerSession=${this.watches.maxPerSession}`);
  }

  async close(): Promise<void> {
    await this.replicator.close();
  }
}

function waiterKey(sessionId: bigint, cxid: number): string {
  return `${sessionId}:${cxid}`;
}

/** Paths a read request would set a watch on. */
function watchPathsOf(rq: ReadRequest): string[] {
  switch (rq.kind) {
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getChildren2':
      return rq.req.watch ? [rq.req.path] : [];
    case 'addWatch':
      return [rq.path];
    case 'multiRead':
      return rq.ops.filter((op) => 'req' in op && (op.req as { watch?: boolean }).watch).map((op) => (op.req as { path: string }).path);
    default:
      return [];
  }
}

function validWatchPath(path: string): boolean {
  return path.startsWith('/');
}
