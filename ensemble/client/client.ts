/** ZkClient: the promise API over a Session — validation, chroot mapping, record encoding, watch registration. */
import { EventEmitter } from 'node:events';
import type { JuteReader, JuteWriter } from '../jute/buffer.ts';
import type { Codec } from '../jute/codec.ts';
import { AddWatchMode, CreateMode, ErrorCode, KeeperState, OpCode } from '../jute/constants.ts';
import { readMultiResponse, writeMultiRequest, type MultiOp, type MultiResult } from '../jute/multi.ts';
import {
  AddWatchRequestCodec,
  CheckWatchesRequestCodec,
  Create2ResponseCodec,
  CreateRequestCodec,
  CreateResponseCodec,
  CreateTTLRequestCodec,
  DeleteRequestCodec,
  ExistsResponseCodec,
  GetACLResponseCodec,
  GetAllChildrenNumberResponseCodec,
  GetChildren2ResponseCodec,
  GetChildrenResponseCodec,
  GetDataResponseCodec,
  GetEphemeralsRequestCodec,
  GetEphemeralsResponseCodec,
  PathRequestCodec,
  PathWatchRequestCodec,
  SetACLRequestCodec,
  SetDataRequestCodec,
  StatResponseCodec,
  SyncResponseCodec,
  WhoAmIResponseCodec,
  type ACL,
  type ClientInfo,
  type ReplyHeader,
  type Stat,
} from '../jute/records.ts';
import { OPEN_ACL_UNSAFE } from './acl.ts';
import { ZkError } from './errors.ts';
import { checkAcl, createOpcode, isSequential, toBuffer, type CreateOptions, type Data } from './ops.ts';
import { validatePath } from './paths.ts';
import { Session, type ClientState, type Request, type ZkClientOptions } from './session.ts';
import type { WatchedEvent, Watcher, WatchKind } from './watches.ts';

export interface ZkClientEvents {
  state: [state: ClientState];
  event: [event: WatchedEvent];
}

type WatchArg = Watcher | boolean | undefined;

export class ZkClient extends EventEmitter<ZkClientEvents> {
  private readonly session: Session;

  constructor(connectString: string, options: ZkClientOptions = {}) {
    super();
    this.session = new Session(connectString, options);
    this.session.on('state', (s) => this.emit('state', s));
    this.session.on('event', (e) => this.emit('event', e));
  }

  static async connect(connectString: string, options: ZkClientOptions = {}): Promise<ZkClient> {
    const client = new ZkClient(connectString, options);
    await client.connect();
    return client;
  }

  connect(): Promise<void> {
    return this.session.start();
  }

  get state(): ClientState {
    return this.session.state;
  }
  get sessionId(): bigint {
    return this.session.sessionId;
  }
  get sessionPassword(): Buffer {
    return this.session.sessionPassword;
  }
  /** The timeout the server granted (the requested one until connected). */
  get sessionTimeout(): number {
    return this.session.sessionTimeout;
  }
  /** The highest zxid seen in a reply. */
  get lastZxid(): bigint {
    return this.session.lastZxid;
  }
  /** The watcher that stands for the defaultWatcher option (what `watch: true` registers). */
  get defaultWatcher(): Watcher {
    return this.session.defaultDispatch;
  }
  /** The chroot of the connect string ('' when none). */
  get chroot(): string {
    return this.session.chroot.root;
  }

  close(): Promise<void> {
    return this.session.close();
  }

  // ---------- plumbing ----------

  private toServer(path: string, sequential = false): string {
    validatePath(path, sequential);
    return this.session.chroot.toServer(path);
  }

  private toClient(serverPath: string): string {
    return this.session.chroot.toClient(serverPath);
  }

  private resolveWatcher(watch: WatchArg): Watcher | null {
    if (typeof watch === 'function') return watch;
    return watch ? this.session.defaultDispatch : null;
  }

  /** Sends a request; rejects with ZkError(err, path) on a non-zero error unless `onError` turns it into a result. */
  private call<T>(
    type: number,
    path: string | undefined,
    encode: (w: JuteWriter) => void,
    decode: (r: JuteReader, header: ReplyHeader) => T,
    onError?: (err: number) => { value: T } | undefined,
  ): Promise<T> {
    const request: Request<T> = {
      type,
      encode,
      reply: (header, r) => {
        if (header.err !== 0) {
          const handled = onError?.(header.err);
          if (handled) return handled.value;
          throw new ZkError(header.err, path);
        }
        return decode(r, header);
      },
    };
    if (path !== undefined) request.path = path;
    return this.session.submit(request);
  }

  private record<R, T>(type: number, path: string, codec: Codec<R>, body: R, decode: (r: JuteReader) => T, onError?: (err: number) => { value: T } | undefined): Promise<T> {
    return this.call(type, path, (w) => codec.write(w, body), decode, onError);
  }

  private rejectNow<T>(e: unknown): Promise<T> {
    return Promise.reject(e);
  }

  // ---------- writes ----------

  async create(path: string, data?: Data, opts: CreateOptions = {}): Promise<string> {
    return (await this.createInternal(path, data, opts, false)).path;
  }

  create2(path: string, data?: Data, opts: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    return this.createInternal(path, data, opts, true) as Promise<{ path: string; stat: Stat }>;
  }

  private createInternal(path: string, data: Data, opts: CreateOptions, withStat: boolean): Promise<{ path: string; stat?: Stat }> {
    try {
      const mode = opts.mode ?? CreateMode.PERSISTENT;
      const serverPath = this.toServer(path, isSequential(mode));
      const { type, ttl } = createOpcode(mode, opts.ttl, withStat);
      const acl = opts.acl ?? OPEN_ACL_UNSAFE;
      checkAcl(acl);
      const req = { path: serverPath, data: toBuffer(data), acl, flags: mode };
      const encode =
        type === OpCode.createTTL
          ? (w: JuteWriter) => CreateTTLRequestCodec.write(w, { ...req, ttl: BigInt(ttl) })
          : (w: JuteWriter) => CreateRequestCodec.write(w, req);
      return this.call(type, path, encode, (r) => {
        if (type === OpCode.create) return { path: this.toClient(CreateResponseCodec.read(r).path) };
        const res = Create2ResponseCodec.read(r);
        return { path: this.toClient(res.path), stat: res.stat };
      });
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  delete(path: string, version = -1): Promise<void> {
    try {
      return this.record(OpCode.delete, path, DeleteRequestCodec, { path: this.toServer(path), version }, () => undefined);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  /** delete() that also gives the transaction's zxid (from the reply header): a deleted node has no Stat to carry it. */
  deleteWithZxid(path: string, version = -1): Promise<bigint> {
    try {
      const body = { path: this.toServer(path), version };
      return this.call(OpCode.delete, path, (w) => DeleteRequestCodec.write(w, body), (_r, header) => header.zxid);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  setData(path: string, data: Data, version = -1): Promise<Stat> {
    try {
      const body = { path: this.toServer(path), data: toBuffer(data), version };
      return this.record(OpCode.setData, path, SetDataRequestCodec, body, (r) => StatResponseCodec.read(r).stat);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  setACL(path: string, acl: ACL[], version = -1): Promise<Stat> {
    try {
      checkAcl(acl);
      const body = { path: this.toServer(path), acl, version };
      return this.record(OpCode.setACL, path, SetACLRequestCodec, body, (r) => StatResponseCodec.read(r).stat);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  // ---------- reads (with optional one-time watches) ----------

  /** Registers `watcher` in `kind` when the reply succeeds (ZooKeeper's WatchRegistration). */
  private watched<T>(type: number, path: string, watch: WatchArg, kindFor: (err: number) => WatchKind | null, decode: (r: JuteReader) => T, onError?: (err: number) => { value: T } | undefined): Promise<T> {
    try {
      const serverPath = this.toServer(path);
      const watcher = this.resolveWatcher(watch);
      const register = (err: number): void => {
        const kind = watcher ? kindFor(err) : null;
        if (kind && watcher) this.session.watches.add(kind, path, watcher);
      };
      return this.record(
        type,
        path,
        PathWatchRequestCodec,
        { path: serverPath, watch: watcher !== null },
        (r) => {
          register(0);
          return decode(r);
        },
        (err) => {
          register(err);
          return onError?.(err);
        },
      );
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  exists(path: string, watch?: WatchArg): Promise<Stat | null> {
    return this.watched<Stat | null>(
      OpCode.exists,
      path,
      watch,
      (err) => (err === 0 ? 'data' : err === ErrorCode.NONODE ? 'exist' : null),
      (r) => ExistsResponseCodec.read(r).stat,
      (err) => (err === ErrorCode.NONODE ? { value: null } : undefined),
    );
  }

  getData(path: string, watch?: WatchArg): Promise<{ data: Buffer | null; stat: Stat }> {
    return this.watched(OpCode.getData, path, watch, (err) => (err === 0 ? 'data' : null), (r) => GetDataResponseCodec.read(r));
  }

  getChildren(path: string, watch?: WatchArg): Promise<string[]> {
    return this.watched(OpCode.getChildren, path, watch, (err) => (err === 0 ? 'child' : null), (r) => GetChildrenResponseCodec.read(r).children);
  }

  getChildren2(path: string, watch?: WatchArg): Promise<{ children: string[]; stat: Stat }> {
    return this.watched(OpCode.getChildren2, path, watch, (err) => (err === 0 ? 'child' : null), (r) => GetChildren2ResponseCodec.read(r));
  }

  getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    try {
      return this.record(OpCode.getACL, path, PathRequestCodec, { path: this.toServer(path) }, (r) => GetACLResponseCodec.read(r));
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  getAllChildrenNumber(path: string): Promise<number> {
    try {
      const body = { path: this.toServer(path) };
      return this.record(OpCode.getAllChildrenNumber, path, PathRequestCodec, body, (r) => GetAllChildrenNumberResponseCodec.read(r).totalNumber);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  getEphemerals(prefix = '/'): Promise<string[]> {
    try {
      const body = { prefixPath: this.toServer(prefix) };
      return this.record(OpCode.getEphemerals, prefix, GetEphemeralsRequestCodec, body, (r) =>
        GetEphemeralsResponseCodec.read(r).ephemerals.map((p) => this.toClient(p)),
      );
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  sync(path: string): Promise<string> {
    try {
      return this.record(OpCode.sync, path, PathRequestCodec, { path: this.toServer(path) }, (r) => this.toClient(SyncResponseCodec.read(r).path));
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  whoAmI(): Promise<ClientInfo[]> {
    return this.call(OpCode.whoAmI, undefined, () => {}, (r) => WhoAmIResponseCodec.read(r).clientInfo);
  }

  addAuth(scheme: string, auth: Buffer | string): Promise<void> {
    return this.session.addAuth(scheme, auth);
  }

  // ---------- multi ----------

  private multiCall(type: number, ops: MultiOp[]): Promise<MultiResult[]> {
    try {
      const serverOps = ops.map((o) => this.opToServer(o));
      return this.call(type, undefined, (w) => writeMultiRequest(w, serverOps), (r) => this.resultsToClient(readMultiResponse(r)), undefined);
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  async multi(ops: MultiOp[]): Promise<MultiResult[]> {
    if (ops.length === 0) return [];
    const results = await this.multiCall(OpCode.multi, ops);
    const failed = results.findIndex((r) => r.type === OpCode.error && r.err !== 0);
    if (failed >= 0) {
      const res = results[failed] as { type: typeof OpCode.error; err: number };
      const error = new ZkError(res.err, ops[failed]?.req.path);
      error.results = results;
      throw error;
    }
    return results;
  }

  multiRead(ops: MultiOp[]): Promise<MultiResult[]> {
    if (ops.length === 0) return Promise.resolve([]);
    return this.multiCall(OpCode.multiRead, ops);
  }

  private opToServer(o: MultiOp): MultiOp {
    const mode = 'flags' in o.req ? o.req.flags : CreateMode.PERSISTENT;
    const sequential = (o.type === OpCode.create || o.type === OpCode.create2 || o.type === OpCode.createTTL) && isSequential(mode);
    return { ...o, req: { ...o.req, path: this.toServer(o.req.path, sequential) } } as MultiOp;
  }

  private resultsToClient(results: MultiResult[]): MultiResult[] {
    return results.map((r) => ('path' in r ? { ...r, path: this.toClient(r.path) } : r));
  }

  // ---------- persistent watches and watch management ----------

  addWatch(path: string, mode: number, watcher: Watcher): Promise<void> {
    try {
      const kind: WatchKind = mode === AddWatchMode.PERSISTENT_RECURSIVE ? 'recursive' : 'persistent';
      const body = { path: this.toServer(path), mode };
      return this.record(OpCode.addWatch, path, AddWatchRequestCodec, body, () => {
        this.session.watches.add(kind, path, watcher);
      });
    } catch (e) {
      return this.rejectNow(e);
    }
  }

  async removeWatches(path: string, watcherType: number, watcher?: Watcher, local = false): Promise<void> {
    const serverPath = this.toServer(path);
    const watches = this.session.watches;
    if (!watches.contains(path, watcherType, watcher)) throw new ZkError(ErrorCode.NOWATCHER, path);
    // The server keeps one watch per path and type for the session; only drop it when no other watcher needs it.
    const needsServer = !watches.othersRemain(path, watcherType, watcher) && (!local || this.session.isConnected);
    if (needsServer) {
      try {
        await this.record(OpCode.removeWatches, path, CheckWatchesRequestCodec, { path: serverPath, type: watcherType }, () => undefined);
      } catch (e) {
        if (!local) throw e;
      }
    }
    const removed = watches.remove(path, watcherType, watcher);
    for (const [type, set] of removed) {
      this.session.dispatch({ type, state: KeeperState.SyncConnected, path }, set);
    }
  }

  async checkWatches(path: string, watcherType: number, watcher?: Watcher): Promise<void> {
    const serverPath = this.toServer(path);
    if (!this.session.watches.contains(path, watcherType, watcher)) throw new ZkError(ErrorCode.NOWATCHER, path);
    await this.record(OpCode.checkWatches, path, CheckWatchesRequestCodec, { path: serverPath, type: watcherType }, () => undefined);
  }
}

