/**
 * One subscribed config file (`/configs/<namespace>/<file>`): its current values, kept live with one-time
 * watches, and the disk-cache fallback at start-up.
 *
 * Why the read loop is shaped this way:
 * - Every read re-arms the watch in the same request (getData/exists with a watcher), so a write after the read
 *   always fires the watch; an event during a read schedules one more read. Nothing is lost, bursts collapse.
 * - Reads of one file never overlap, and every (re)connection starts with `sync`, so each read comes from a server
 *   at least as up to date as the one before, even after failing over to a lagging follower or a new session.
 *   The mzxid check on top refuses anything older than what was already shown.
 */
import { EventEmitter } from 'node:events';
import { ErrorCode, EventType, isZkError, type Stat, type Watcher, type ZkClient } from '../../ensemble/client/index.ts';
import { parseProperties } from '../../server/properties/index.ts';
import type { CachedFile, DiskCache } from './cache.ts';
import { changesBetween, MissingConfigKeyError, parseBoolean, parseNumber, type ConfigChange } from './values.ts';

export type ConfigSource = 'none' | 'cache' | 'zookeeper';

export interface ConfigChangeEvent {
  file: string;
  /** The znode's data version; -1 when the file no longer exists. */
  version: number;
  exists: boolean;
  source: ConfigSource;
  changes: ConfigChange[];
}

export class ConfigParseError extends Error {
  constructor(readonly file: string, readonly line: number, readonly version: number, detail: string) {
    super(`${file} version ${version}, line ${line}: ${detail} (keeping the last good values)`);
    this.name = 'ConfigParseError';
  }
}

export class ConfigUnavailableError extends Error {
  constructor(file: string, why: string) {
    super(`${file}: the ensemble could not be reached in time and ${why}`);
    this.name = 'ConfigUnavailableError';
  }
}

export interface ConfigFileEvents {
  change: [event: ConfigChangeEvent];
  error: [error: Error];
}

/** What the owning client provides: the current session and the cache. */
export interface ConfigFileHost {
  readonly namespace: string;
  currentClient(): ZkClient | null;
  readonly cache: DiskCache | null;
  /** Where an error goes when the file has no 'error' listener. */
  reportError(error: Error): void;
}

type ReadResult = { exists: true; text: string; stat: Stat } | { exists: false };

const CONNECTION_ERRORS: ReadonlySet<number> = new Set([ErrorCode.CONNECTIONLOSS, ErrorCode.SESSIONEXPIRED, ErrorCode.SESSIONMOVED, ErrorCode.OPERATIONTIMEOUT]);

export class ConfigFile extends EventEmitter<ConfigFileEvents> {
  readonly path: string;
  private values = new Map<string, string>();
  private text = '';
  private fileExists = false;
  private fileVersion = -1;
  /** The newest mzxid a live read showed (valid text or not); older reads are refused. */
  private observedMzxid = -1n;
  private from: ConfigSource = 'none';
  private loaded = false;
  private closed = false;
  private waiters: Array<{ resolve(f: ConfigFile): void; reject(e: Error): void }> = [];

  private reading = false;
  private readAgain = false;
  private syncFirst = true;
  private readonly watcher: Watcher = (event) => {
    if (event.type !== EventType.None) this.refresh(false);
  };

  constructor(readonly name: string, root: string, private readonly host: ConfigFileHost) {
    super();
    this.path = `${root}/${host.namespace}/${name}`;
  }

  // ---------- what applications read ----------

  get exists(): boolean {
    return this.fileExists;
  }
  get version(): number {
    return this.fileVersion;
  }
  get source(): ConfigSource {
    return this.from;
  }
  /** The mzxid of the values shown (-1 before live data, or for a missing file). */
  get mzxid(): bigint {
    return this.fileExists && this.from === 'zookeeper' ? this.observedMzxid : -1n;
  }

  /** Resolves once values are there: from the ensemble, or from the disk cache when it could not be reached. */
  ready(): Promise<ConfigFile> {
    if (this.loaded) return Promise.resolve(this);
    if (this.closed) return Promise.reject(new Error(`${this.name}: config client closed`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  keys(): string[] {
    return [...this.values.keys()];
  }
  entries(): Map<string, string> {
    return new Map(this.values);
  }
  has(key: string): boolean {
    return this.values.has(key);
  }

  getString(key: string): string | undefined;
  getString(key: string, fallback: string): string;
  getString(key: string, fallback?: string): string | undefined {
    return this.values.get(key) ?? fallback;
  }

  getNumber(key: string): number | undefined;
  getNumber(key: string, fallback: number): number;
  getNumber(key: string, fallback?: number): number | undefined {
    const v = this.values.get(key);
    return v === undefined ? fallback : parseNumber(key, v);
  }

  getBoolean(key: string): boolean | undefined;
  getBoolean(key: string, fallback: boolean): boolean;
  getBoolean(key: string, fallback?: boolean): boolean | undefined {
    const v = this.values.get(key);
    return v === undefined ? fallback : parseBoolean(key, v);
  }

  require(key: string): string {
    const v = this.values.get(key);
    if (v === undefined) throw new MissingConfigKeyError(key, this.name);
    return v;
  }

  // ---------- driven by the client ----------

  /** Reads (again) from the current session; `sync` first after a (re)connection. */
  refresh(sync: boolean): void {
    if (sync) this.syncFirst = true;
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    void this.readLoop();
  }

  /** The start-up deadline passed without live data: serve the disk cache if there is one. */
  async fallBackToCache(): Promise<void> {
    if (this.loaded || this.closed) return;
    let cached: CachedFile | null = null;
    let why = 'no disk cache is configured';
    if (this.host.cache) {
      try {
        cached = await this.host.cache.read(this.host.namespace, this.name);
        why = 'the disk cache has no copy of this file';
      } catch (e) {
        why = `the disk cache could not be read (${(e as Error).message})`;
      }
    }
    if (this.loaded || this.closed) return; // live data won the race
    if (!cached) {
      const error = new ConfigUnavailableError(this.name, why);
      for (const w of this.waiters.splice(0)) w.reject(error);
      return;
    }
    const parsed = parseProperties(cached.text);
    this.values = parsed.entries;
    this.text = cached.text;
    this.fileExists = cached.exists;
    this.fileVersion = cached.version;
    this.from = 'cache';
    this.markLoaded();
  }

  close(): void {
    this.closed = true;
    const error = new Error(`${this.name}: config client closed`);
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  // ---------- the read loop ----------

  private async readLoop(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        const zk = this.host.currentClient();
        if (!zk || zk.state !== 'connected' || this.closed) break;
        const sync = this.syncFirst;
        this.syncFirst = false;
        try {
          if (sync) await zk.sync(this.path);
          this.apply(await readArmed(zk, this.path, this.watcher));
        } catch (e) {
          if (sync) this.syncFirst = true;
          // A lost connection is picked up again by the next 'connected'; anything else is worth reporting.
          if (!(isZkError(e) && CONNECTION_ERRORS.has(e.code))) this.fail(e as Error);
        }
      } while (this.readAgain && !this.closed);
    } finally {
      this.reading = false;
    }
  }

  private apply(result: ReadResult): void {
    if (this.closed) return;
    if (!result.exists) {
      this.show({ exists: false, text: '', version: -1, values: new Map() });
      return;
    }
    const { stat, text } = result;
    if (this.from === 'zookeeper' && stat.mzxid <= this.observedMzxid) return; // nothing newer than what is shown
    this.observedMzxid = stat.mzxid;
    const parsed = parseProperties(text);
    const firstError = parsed.errors[0];
    if (firstError) {
      // Values loaded from the cache stay; without them ready() rejects, as there are no good values to offer yet.
      this.fail(new ConfigParseError(this.name, firstError.line, stat.version, firstError.message));
      return;
    }
    this.show({ exists: true, text, version: stat.version, values: parsed.entries });
  }

  private show(next: { exists: boolean; text: string; version: number; values: Map<string, string> }): void {
    const wasLive = this.from === 'zookeeper';
    const same = this.fileExists === next.exists && this.fileVersion === next.version && this.text === next.text;
    const changes = changesBetween(this.values, next.values);
    this.values = next.values;
    this.text = next.text;
    this.fileExists = next.exists;
    this.fileVersion = next.version;
    this.from = 'zookeeper';
    if (!same || !wasLive) this.saveToCache();
    const announce = this.loaded && !same;
    this.markLoaded();
    if (announce) this.emit('change', { file: this.name, version: next.version, exists: next.exists, source: 'zookeeper', changes });
  }

  private saveToCache(): void {
    this.host.cache
      ?.write({ namespace: this.host.namespace, file: this.name, exists: this.fileExists, text: this.text, version: this.fileVersion, mzxid: this.observedMzxid.toString() })
      .catch((e: Error) => this.fail(new Error(`${this.name}: could not write the disk cache: ${e.message}`)));
  }

  private markLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const w of this.waiters.splice(0)) w.resolve(this);
  }

  private fail(error: Error): void {
    if (!this.loaded) for (const w of this.waiters.splice(0)) w.reject(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.host.reportError(error);
  }
}

/** Reads the file and leaves a watch on it: a data watch when it exists, an exist watch when it does not. */
async function readArmed(zk: ZkClient, path: string, watcher: Watcher): Promise<ReadResult> {
  for (;;) {
    try {
      const { data, stat } = await zk.getData(path, watcher);
      return { exists: true, text: data ? data.toString('utf8') : '', stat };
    } catch (e) {
      if (!isZkError(e, ErrorCode.NONODE)) throw e;
    }
    const stat = await zk.exists(path, watcher);
    if (stat === null) return { exists: false };
    // Created between the two reads: read it (the exists call already armed a data watch).
  }
}
