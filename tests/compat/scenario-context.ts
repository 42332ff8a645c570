/**
 * What a differential scenario gets to work with: its own root znode, connected clients of OUR client library
 * (all closed by the runner afterwards), and helpers that turn outcomes and watch events into trace values.
 * A scenario never learns which server it runs against.
 */
import type * as ClientModule from '../../ensemble/client/index.ts';
import type { ZkClient, Watcher, WatchedEvent } from '../../ensemble/client/index.ts';
import { EventTypeNames, KeeperState, KeeperStateNames } from '../../ensemble/jute/constants.ts';
import { openRawSession, type RawSession } from '../helpers/raw-session.ts';

export type ClientLib = typeof ClientModule;
export type ClientOptions = NonNullable<ConstructorParameters<typeof ZkClient>[1]>;

export interface Recorder {
  watcher: Watcher;
  /** Events in arrival order, e.g. `NodeDataChanged /a/b`. */
  events: string[];
}

export interface ScenarioContext {
  /** A persistent znode made for this scenario alone (world:anyone ALL). */
  root: string;
  /** The scenario's first session. */
  zk: ZkClient;
  lib: ClientLib;
  connectString: string;
  /** Another connected session; `chroot` is appended to the connect string. */
  client(opts?: ClientOptions & { chroot?: string }): Promise<ZkClient>;
  /** A session that can fall silent without closing, for expiry. */
  rawSession(timeoutMs: number): Promise<RawSession>;
  /** The outcome of an operation: its value (`OK` for none), or `ERR:<CODENAME>` for a ZooKeeper error. */
  attempt<T>(op: Promise<T> | (() => Promise<T>)): Promise<T | string>;
  /** A watcher that records events; the same event text also goes to `log` when given. */
  recorder(log?: string[]): Recorder;
  formatEvent(e: WatchedEvent): string;
  /** A round trip on every open session, so events already triggered have been delivered. */
  settle(): Promise<void>;
  waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /** The super user's credentials on the servers started with a super digest. */
  superAuth: { scheme: string; auth: string };
}

export interface Scenario {
  name: string;
  /** `special`: needs the server pair with extended types, fast container checks, a short tick and a super digest. */
  pair?: 'default' | 'special';
  timeoutMs?: number;
  run(ctx: ScenarioContext): Promise<unknown>;
  /**
   * A documented, deliberate difference: the runner checks Apache ZooKeeper still behaves as `apache(trace)`
   * expects (so the note stays true) and that ours gives exactly `ours(apacheTrace)`.
   */
  deviation?: { why: string; ours(apacheTrace: any): unknown };
}

export const SUPER_AUTH = { scheme: 'digest', auth: 'super:compat-secret' };

export interface ContextHandle {
  /** Connects the first session and makes the scenario root; resolves with the context. */
  open(): Promise<ScenarioContext>;
  /** Session id → label, in the order sessions were opened. */
  sessions: Map<bigint, string>;
  close(): Promise<void>;
}

export function formatEvent(e: WatchedEvent): string {
  const type = EventTypeNames[e.type] ?? `type(${e.type})`;
  const state = e.state === KeeperState.SyncConnected ? '' : ` [${KeeperStateNames[e.state] ?? e.state}]`;
  return `${type} ${e.path}${state}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Made synchronously so the runner can close every session even when opening the context hangs. */
export function createContext(lib: ClientLib, connectString: string, root: string): ContextHandle {
  const clients: ZkClient[] = [];
  const raws: RawSession[] = [];
  const sessions = new Map<bigint, string>();
  const label = (id: bigint) => {
    if (!sessions.has(id)) sessions.set(id, `session#${sessions.size + 1}`);
  };
  const [host, portText] = connectString.split(':') as [string, string];

  const client = async (opts: ClientOptions & { chroot?: string } = {}) => {
    const { chroot, ...rest } = opts;
    const zk = new lib.ZkClient(connectString + (chroot ?? ''), { sessionTimeout: 30_000, ...rest });
    clients.push(zk);
    await zk.connect();
    label(zk.sessionId);
    return zk;
  };

  const helpers: Omit<ScenarioContext, 'zk'> = {
    root,
    lib,
    connectString,
    client,
    async rawSession(timeoutMs) {
      const raw = await openRawSession(host, Number(portText), timeoutMs);
      raws.push(raw);
      label(raw.sessionId);
      return raw;
    },
    async attempt(op) {
      try {
        const value = await (typeof op === 'function' ? op() : op);
        return value === undefined ? 'OK' : value;
      } catch (e) {
        if (e instanceof lib.ZkError) return `ERR:${e.codeName}`;
        return `THROW:${(e as Error).name}`;
      }
    },
    recorder(log) {
      const events: string[] = [];
      return {
        events,
        watcher: (e) => {
          const text = formatEvent(e);
          events.push(text);
          log?.push(text);
        },
      };
    },
    formatEvent,
    async settle() {
      await Promise.all(clients.filter((c) => c.state === 'connected').map((c) => c.exists('/').catch(() => null)));
    },
    async waitUntil(pred, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await pred()) return true;
        if (Date.now() > deadline) return false;
        await sleep(20);
      }
    },
    sleep,
    superAuth: SUPER_AUTH,
  };

  return {
    async open() {
      const zk = await client();
      await zk.create(root, null);
      return { ...helpers, zk };
    },
    sessions,
    async close() {
      for (const raw of raws) raw.abandon();
      // A client that lost its session may never finish closing; the servers are discarded anyway.
      await Promise.all(clients.map((c) => (c.state === 'closed' ? null : Promise.race([c.close().catch(() => null), sleep(3000)]))));
    },
  };
}
