/**
 * Shared pieces of the recipes: parent creation, Curator-style protected sequential creates, ordering by
 * sequence number, and waiting on a one-time watch with cancellation.
 */
import { randomUUID } from 'node:crypto';
import { CreateMode, ErrorCode, isZkError, type Watcher, type ZkClient } from '../../ensemble/client/index.ts';

/** Creates `path` and its missing parents as persistent nodes (a concurrent creator is fine). */
export async function ensurePath(zk: ZkClient, path: string): Promise<void> {
  let current = '';
  for (const part of path.split('/').filter(Boolean)) {
    current += `/${part}`;
    try {
      await zk.create(current);
    } catch (e) {
      if (!isZkError(e, ErrorCode.NODEEXISTS)) throw e;
    }
  }
}

const PROTECTED_PREFIX = '_c_';
// ZooKeeper formats the counter with %010d: ten digits, or a minus sign and nine digits once it wrapped.
const SEQUENCE = /(\d{10}|-\d{9})$/;

/** The sequence number ZooKeeper appended to a node name (it wraps to negative after 2^31-1). */
export function sequenceOf(name: string): number {
  const m = SEQUENCE.exec(name);
  if (!m) throw new Error(`'${name}' has no sequence number`);
  return Number(m[1]);
}

/** The recipe prefix of a node name, without the protection GUID and the sequence: "_c_<guid>-lock-0000000001" → "lock-". */
export function kindOf(name: string): string {
  const withoutGuid = name.startsWith(PROTECTED_PREFIX) ? name.slice(name.indexOf('-', PROTECTED_PREFIX.length + 36) + 1) : name;
  return withoutGuid.replace(SEQUENCE, '');
}

export function bySequence(names: string[]): string[] {
  return names.filter((n) => SEQUENCE.test(n)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

export function isConnectionLoss(e: unknown): boolean {
  return isZkError(e, ErrorCode.CONNECTIONLOSS) || isZkError(e, ErrorCode.OPERATIONTIMEOUT);
}

/**
 * Creates a sequential node whose name carries a fresh GUID, so that after a CONNECTIONLOSS (the create may or
 * may not have happened) the node can be found again instead of being created twice (Curator's protection mode).
 * Returns the full path of the node.
 */
export async function protectedCreate(zk: ZkClient, parent: string, prefix: string, data: Buffer | string | null, mode: number): Promise<string> {
  const guid = randomUUID();
  const name = `${PROTECTED_PREFIX}${guid}-${prefix}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await zk.create(`${parent}/${name}`, data, { mode });
    } catch (e) {
      if (isZkError(e, ErrorCode.NONODE) && attempt < 5) {
        await ensurePath(zk, parent);
        continue;
      }
      if (!isConnectionLoss(e) || attempt >= 20) throw e;
    }
    const mine = await findProtected(zk, parent, guid);
    if (mine) return `${parent}/${mine}`;
  }
}

async function findProtected(zk: ZkClient, parent: string, guid: string): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      const children = await zk.getChildren(parent);
      return children.find((c) => c.startsWith(`${PROTECTED_PREFIX}${guid}-`));
    } catch (e) {
      if (isZkError(e, ErrorCode.NONODE)) return undefined;
      if (!isConnectionLoss(e) || attempt >= 20) throw e;
    }
  }
}

/** Deletes a node, retrying through connection loss; a node already gone counts as deleted. */
export async function deleteQuietly(zk: ZkClient, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await zk.delete(path);
      return;
    } catch (e) {
      if (isZkError(e, ErrorCode.NONODE) || isZkError(e, ErrorCode.SESSIONEXPIRED)) return;
      if (!isConnectionLoss(e) || attempt >= 20) throw e;
    }
  }
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('the operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** An AbortSignal that fires on the caller's signal or after `timeoutMs`, whichever comes first. */
export function deadlineSignal(what: string, opts: { signal?: AbortSignal; timeoutMs?: number }): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (opts.signal) signals.push(opts.signal);
  if (opts.timeoutMs !== undefined) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError(what, opts.timeoutMs!)), opts.timeoutMs);
    timer.unref();
    signals.push(controller.signal);
  }
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

/**
 * A one-time watcher plus a promise that settles when it fires, the session ends, or `signal` aborts.
 * Arm the watcher with a read, then await `fired` only if the read said "wait".
 */
export function watchOnce(zk: ZkClient, signal: AbortSignal | undefined): { watcher: Watcher; fired: Promise<void>; dispose(): void } {
  let settle!: () => void;
  let fail!: (e: Error) => void;
  const fired = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const onAbort = (): void => fail(abortError(signal!));
  const onState = (s: string): void => {
    if (s === 'expired' || s === 'closed' || s === 'authfailed') fail(new Error(`ZooKeeper session ${s}`));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  zk.on('state', onState);
  const dispose = (): void => {
    signal?.removeEventListener('abort', onAbort);
    zk.off('state', onState);
  };
  void fired.then(dispose, dispose);
  fired.catch(() => undefined);
  if (signal?.aborted) onAbort();
  return { watcher: () => settle(), fired, dispose };
}
