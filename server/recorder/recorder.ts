// The audit recorder: its own process, watching /configs with a persistent recursive watch so that every
// change lands in the history, whoever made it. The audit store is the source of truth: for each
// changed file the recorder compares the znode with the newest confirmed row of its path and records
// what is missing — an external change, a delete, or a gap when versions went by unobserved.
// Rows are unique per (path, zxid), so the admin and the recorder never double-record: whichever
// writes second finds the first's row (and the admin's confirmation replaces the recorder's row).

import { AddWatchMode, ErrorCode, isZkError, ZkClient, type Stat, type WatchedEvent } from '../../ensemble/client/index.ts';
import { AuditStore, type AuditEventView } from '../audit/index.ts';
import type { Db } from '../db.ts';
import { CONFIGS_ROOT, identityAuth, parseConfigPath, type ZkIdentity } from '../configs/index.ts';

export interface RecorderOptions {
  connectString: string;
  identity: ZkIdentity;
  db: Db;
  /** Wait this long after an event before looking: the admin usually confirms its own write meanwhile. */
  settleMs?: number;
  /** An admin intent younger than this is still in flight; older ones are settled by the recorder. */
  pendingGraceMs?: number;
  sessionTimeout?: number;
  log?: (line: string) => void;
}

export interface RecorderStats {
  external: number;
  deletes: number;
  gaps: number;
  settledIntents: number;
}

const DEFAULT_SETTLE_MS = 150;
const DEFAULT_PENDING_GRACE_MS = 10_000;
const RETRY_MS = 1_000;

function zxidOf(view: AuditEventView): bigint | null {
  return view.zxid === null ? null : BigInt(view.zxid);
}

export class Recorder {
  readonly stats: RecorderStats = { external: 0, deletes: 0, gaps: 0, settledIntents: 0 };
  private readonly audit: AuditStore;
  private readonly settleMs: number;
  private readonly pendingGraceMs: number;
  private readonly log: (line: string) => void;
  private zk: ZkClient | null = null;
  private stopped = false;
  private readonly dirty = new Map<string, number>(); // path → earliest time to look at it
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];
  private walking: Promise<void> | null = null;

  constructor(private readonly options: RecorderOptions) {
    this.audit = new AuditStore(options.db);
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.pendingGraceMs = options.pendingGraceMs ?? DEFAULT_PENDING_GRACE_MS;
    this.log = options.log ?? (() => {});
  }

  /** Connects, starts watching and catches up with everything that changed while nobody watched. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.openSession();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const zk = this.zk;
    this.zk = null;
    await this.running.catch(() => {});
    await zk?.close();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once no change is waiting to be looked at (tests use it instead of sleeping). */
  idle(): Promise<void> {
    if (this.dirty.size === 0 && this.walking === null) return this.running;
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async openSession(): Promise<void> {
    const zk = new ZkClient(this.options.connectString, {
      sessionTimeout: this.options.sessionTimeout ?? 15_000,
      auth: identityAuth(this.options.identity),
    });
    let wasDisconnected = false;
    zk.on('state', (state) => {
      if (this.stopped || this.zk !== zk) return;
      if (state === 'disconnected') wasDisconnected = true;
      // Persistent watches come back on reconnect, but events of the disconnected time are not replayed: walk.
      if (state === 'connected' && wasDisconnected) {
        wasDisconnected = false;
        this.log('reconnected; walking /configs for changes made meanwhile');
        this.walk();
      }
      if (state === 'expired' || state === 'authfailed') {
        this.log(`session ${state}; opening a new one`);
        this.zk = null;
        void zk.close().catch(() => {});
        this.reopenLater();
      }
    });
    await zk.connect();
    this.zk = zk;
    await zk.addWatch(CONFIGS_ROOT, AddWatchMode.PERSISTENT_RECURSIVE, (event) => this.onEvent(event));
    this.walk();
    await this.walking;
  }

  private reopenLater(): void {
    setTimeout(() => {
      if (this.stopped) return;
      this.openSession().catch((error: unknown) => {
        this.log(`cannot reopen the session: ${(error as Error).message}`);
        this.reopenLater();
      });
    }, RETRY_MS).unref();
  }

  private onEvent(event: WatchedEvent): void {
    const parsed = parseConfigPath(event.path);
    if (parsed === null || parsed.file === null) return; // namespace metadata is not audited
    this.markDirty(event.path, this.settleMs);
  }

  private markDirty(path: string, delayMs: number): void {
    const due = Date.now() + delayMs;
    const known = this.dirty.get(path);
    if (known === undefined || due < known) this.dirty.set(path, due);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer !== null || this.dirty.size === 0) return;
    const next = Math.min(...this.dirty.values());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(() => this.drain());
    }, Math.max(0, next - Date.now()));
  }

  private async drain(): Promise<void> {
    const now = Date.now();
    const due = [...this.dirty].filter(([, at]) => at <= now).map(([path]) => path);
    for (const path of due) {
      if (this.stopped) return;
      this.dirty.delete(path);
      try {
        const retryIn = await this.reconcile(path);
        if (retryIn !== null) this.markDirty(path, retryIn);
      } catch (error) {
        this.log(`cannot reconcile ${path}: ${(error as Error).message}; retrying`);
        this.markDirty(path, RETRY_MS);
      }
    }
    this.schedule();
    if (this.dirty.size === 0 && this.walking === null) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Looks at every file in the ensemble and every file the history believes exists. */
  private walk(): void {
    const walking = this.collectPaths()
      .then((paths) => {
        for (const path of paths) this.markDirty(path, 0);
      })
      .catch((error: unknown) => {
        this.log(`cannot walk /configs: ${(error as Error).message}`);
        if (!this.stopped) setTimeout(() => this.walk(), RETRY_MS).unref();
      })
      .finally(() => {
        if (this.walking === walking) this.walking = null;
        if (this.dirty.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    this.walking = walking;
  }

  private async collectPaths(): Promise<Set<string>> {
    const zk = this.requireZk();
    const paths = new Set<string>();
    for (const namespace of await childrenOrEmpty(zk, CONFIGS_ROOT)) {
      for (const file of await childrenOrEmpty(zk, `${CONFIGS_ROOT}/${namespace}`)) {
        const path = `${CONFIGS_ROOT}/${namespace}/${file}`;
        if (parseConfigPath(path)?.file) paths.add(path);
      }
    }
    const known = await this.options.db.auditEvent.findMany({
      where: { path: { startsWith: `${CONFIGS_ROOT}/` }, status: 'confirmed', zxid: { not: null } },
      distinct: ['path'],
      select: { path: true },
    });
    for (const { path } of known) if (path !== null && parseConfigPath(path)?.file) paths.add(path);
    return paths;
  }

  private requireZk(): ZkClient {
    if (this.zk === null) throw new Error('no ZooKeeper session');
    return this.zk;
  }

  /** Brings the history of one file up to date with the ensemble. Returns a delay to look again, or null. */
  async reconcile(path: string): Promise<number | null> {
    const zk = this.requireZk();
    const pending = await this.audit.findPending({ path });
    const graceEnd = Date.now() - this.pendingGraceMs;
    // The admin is between its write and its confirmation: let it finish and claim the change.
    if (pending.some((intent) => Date.parse(intent.at) > graceEnd)) return this.settleMs;

    const node = await getDataOrNull(zk, path);
    const latest = await this.audit.latestChange(path);
    const parsed = parseConfigPath(path)!;
    const where = { namespace: parsed.namespace, file: parsed.file, path };

    if (node === null) {
      if (latest !== null && latest.action !== 'delete') {
        const zxid = await deleteKey(zk, path);
        const { created } = await this.audit.recordExternal({ ...where, action: 'delete', version: latest.version, zxid, before: latest.after, after: null });
        if (created) {
          this.stats.deletes++;
          this.log(`recorded external delete of ${path}`);
        }
      }
    } else {
      await this.recordNode(path, where, node, latest);
    }
    if (pending.length > 0) await this.settleIntents(pending);
    return null;
  }

  private async recordNode(
    path: string,
    where: { namespace: string; file: string | null; path: string },
    node: { data: Buffer | null; stat: Stat },
    latest: AuditEventView | null,
  ): Promise<void> {
    const { stat } = node;
    const latestZxid = latest === null ? null : zxidOf(latest);
    if (latestZxid !== null && latestZxid >= stat.mzxid) return; // already in the history
    // The newest row describes this incarnation of the node only if it came after the node's creation.
    const base = latest !== null && latest.action !== 'delete' && latestZxid !== null && latestZxid >= stat.czxid ? latest : null;
    const firstUnseen = base === null ? 0 : (base.version ?? -1) + 1;
    const at = new Date(Number(stat.mtime));
    if (stat.version > firstUnseen) {
      const { created } = await this.audit.recordGap({ ...where, fromVersion: firstUnseen, toVersion: stat.version - 1, at });
      if (created) {
        this.stats.gaps++;
        this.log(`recorded gap ${firstUnseen}..${stat.version - 1} of ${path}`);
      }
    }
    const { created } = await this.audit.recordExternal({
      ...where,
      action: stat.version === 0 ? 'create' : 'update',
      version: stat.version,
      zxid: stat.mzxid,
      // Across a gap this is the last contents anyone saw, so the diff spans every unobserved version.
      before: base?.after ?? null,
      after: node.data?.toString('utf8') ?? '',
      at,
    });
    if (created) {
      this.stats.external++;
      this.log(`recorded external ${stat.version === 0 ? 'create' : 'update'} of ${path} at version ${stat.version}`);
    }
  }

  /**
   * Intents whose admin never confirmed them (a crash, a lost reply): if the ensemble shows their change,
   * confirm them with its zxid (taking over the recorder's row); otherwise the write never happened.
   */
  private async settleIntents(pending: AuditEventView[]): Promise<void> {
    for (const intent of pending) {
      if (intent.path === null) continue;
      const observed = await this.options.db.auditEvent.findFirst({
        where: { path: intent.path, source: 'external', status: 'confirmed', zxid: { not: null }, after: intent.after, at: { gte: new Date(Date.parse(intent.at) - 1000) } },
        orderBy: { zxid: 'asc' },
      });
      if (observed !== null && observed.zxid !== null) {
        await this.audit.confirm(intent.id, { version: observed.version ?? 0, zxid: observed.zxid });
        this.log(`confirmed interrupted admin write #${intent.id} of ${intent.path}`);
      } else {
        await this.audit.fail(intent.id, 'the ensemble never showed this change');
        this.log(`marked interrupted admin write #${intent.id} of ${intent.path} as failed`);
      }
      this.stats.settledIntents++;
    }
  }
}

async function childrenOrEmpty(zk: ZkClient, path: string): Promise<string[]> {
  try {
    return await zk.getChildren(path);
  } catch (error) {
    if (isZkError(error, ErrorCode.NONODE)) return [];
    throw error;
  }
}

async function getDataOrNull(zk: ZkClient, path: string): Promise<{ data: Buffer | null; stat: Stat } | null> {
  try {
    return await zk.getData(path);
  } catch (error) {
    if (isZkError(error, ErrorCode.NONODE)) return null;
    throw error;
  }
}

/**
 * Watch events carry no zxid, and a deleted node has no Stat. The parent's pzxid is the zxid of the
 * last change to its children — the delete itself unless a sibling changed since — and it is stable
 * across restarts, which is what a (path, zxid) key needs. Without a parent, /configs' pzxid is used.
 */
async function deleteKey(zk: ZkClient, path: string): Promise<bigint> {
  let parent = path.slice(0, path.lastIndexOf('/'));
  while (parent !== '') {
    const stat = await zk.exists(parent);
    if (stat !== null) return stat.pzxid;
    parent = parent.slice(0, parent.lastIndexOf('/'));
  }
  return zk.lastZxid;
}
