/** createConfigClient: one ZooKeeper session (renewed on expiry) shared by every subscribed file of a namespace. */
import { EventEmitter } from 'node:events';
import type { ZkClient } from '../../ensemble/client/index.ts';
import { SessionKeeper, type ConnectionState } from '../session-keeper.ts';
import { DiskCache } from './cache.ts';
import { ConfigFile } from './file.ts';

export interface ConfigClientOptions {
  /** ZooKeeper connect string, e.g. "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181". */
  connectString: string;
  namespace: string;
  /** ZooKeeper digest credentials (addAuth('digest', 'user:password')). */
  auth?: { user: string; password: string };
  /** Where the last good copy of every file is kept; no disk cache when omitted. */
  cacheDir?: string;
  /** How long ready() waits for the ensemble before serving the disk cache (default 5000 ms). */
  startupTimeoutMs?: number;
  /** Requested ZooKeeper session timeout (default 10000 ms). */
  sessionTimeoutMs?: number;
  /** Parent of the namespaces (default '/configs'). */
  root?: string;
}

export interface ConfigClientEvents {
  state: [state: ConnectionState];
  /** Errors of files that have no 'error' listener of their own. */
  error: [error: Error];
}

const NAME = /^[^/\0]+$/;

export class ConfigClient extends EventEmitter<ConfigClientEvents> {
  readonly namespace: string;
  readonly cache: DiskCache | null;
  private readonly keeper: SessionKeeper;
  private readonly files = new Map<string, ConfigFile>();
  private readonly root: string;
  private readonly startupDeadline: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: ConfigClientOptions) {
    super();
    if (!NAME.test(options.namespace) || options.namespace === '.' || options.namespace === '..') {
      throw new Error(`invalid namespace '${options.namespace}'`);
    }
    this.namespace = options.namespace;
    this.root = (options.root ?? '/configs').replace(/\/+$/, '');
    this.cache = options.cacheDir ? new DiskCache(options.cacheDir) : null;
    this.startupDeadline = Date.now() + (options.startupTimeoutMs ?? 5000);
    this.keeper = new SessionKeeper({
      connectString: options.connectString,
      ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
    });
    this.keeper.on('state', (s) => this.emit('state', s));
    // Every connection, old session or new, re-reads every file after a sync: cheap, and it makes failover safe.
    this.keeper.on('connected', () => {
      for (const f of this.files.values()) f.refresh(true);
    });
    this.keeper.start();
  }

  get state(): ConnectionState {
    return this.keeper.state;
  }

  /** The ZkClient of the current session (it changes after an expiry); for diagnostics and tests. */
  get zk(): ZkClient | null {
    return this.keeper.zk;
  }

  /** The subscription to `/configs/<namespace>/<name>`; the same object for the same name. */
  file(name: string): ConfigFile {
    if (this.closed) throw new Error('config client closed');
    const existing = this.files.get(name);
    if (existing) return existing;
    if (!NAME.test(name) || name === '.' || name === '..') throw new Error(`invalid config file name '${name}'`);
    const file = new ConfigFile(name, this.root, {
      namespace: this.namespace,
      cache: this.cache,
      currentClient: () => this.keeper.zk,
      reportError: (e) => this.reportError(e),
    });
    this.files.set(name, file);
    if (this.keeper.isConnected) file.refresh(true);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void file.fallBackToCache();
    }, Math.max(0, this.startupDeadline - Date.now()));
    this.timers.add(timer);
    return file;
  }

  private reportError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.warn(`[config] ${error.message}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const f of this.files.values()) f.close();
    await this.keeper.close();
    await this.cache?.flush();
  }
}

export async function createConfigClient(options: ConfigClientOptions): Promise<ConfigClient> {
  return new ConfigClient(options);
}
