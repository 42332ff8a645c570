/** Snapshots, recovery from snapshot + log, autopurge and epoch files, on real files with real fsync. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Storage, nodeFileSystem, schedulePurge, type FileSystem, type RecoveryResult, type StorageOptions } from '../../ensemble/storage/index.ts';

/** XORs one byte: simulated bit rot. */
function flip(buf: Buffer, index: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(index) ^ mask, index);
}


let dataDir: string;
let warnings: string[];

beforeEach(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'storage-snap-'));
  warnings = [];
});
afterEach(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

const versionDir = (): string => path.join(dataDir, 'version-2');

async function openStorage(extra: Partial<StorageOptions> = {}): Promise<Storage> {
  return Storage.open({ dataDir, preAllocSize: 16 * 1024, log: (m) => warnings.push(m), ...extra });
}

async function recoverFresh(extra: Partial<StorageOptions> = {}): Promise<RecoveryResult> {
  const storage = await openStorage(extra);
  try {
    return await storage.recover();
  } finally {
    await storage.close();
  }
}

/** The toy state machine: the list of applied txn payloads. A snapshot is that list as JSON. */
function stateOf(recovered: RecoveryResult): string[] {
  const base: string[] = recovered.snapshot ? (JSON.parse(recovered.snapshot.data.toString()) as string[]) : [];
  return [...base, ...recovered.txns.map((t) => t.bytes.toString())];
}

async function files(prefix: string, dir = versionDir()): Promise<string[]> {
  const zxidOf = (name: string): bigint => BigInt(`0x${name.slice(prefix.length + 1)}`);
  return (await fsp.readdir(dir))
    .filter((n) => n.startsWith(`${prefix}.`) && !n.endsWith('.tmp'))
    .sort((a, b) => (zxidOf(a) < zxidOf(b) ? -1 : 1));
}

/** Runs `cycles` rounds of 10 txns, snapshotting after each round while the next appends are in flight. */
async function buildHistory(storage: Storage, cycles: number): Promise<string[]> {
  const applied: string[] = [];
  let zxid = 0n;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      zxid++;
      const text = `set /k ${zxid}`;
      applied.push(text);
      appends.push(storage.append(zxid, Buffer.from(text)));
    }
    // Fuzzy: the state at `zxid` is serialized now; its txns may still be on their way to the log.
    const snapshotDone = storage.snapshot(zxid, Buffer.from(JSON.stringify(applied)));
    await Promise.all([...appends, snapshotDone]);
  }
  for (let i = 0; i < 5; i++) {
    zxid++;
    applied.push(`set /k ${zxid}`);
    await storage.append(zxid, Buffer.from(`set /k ${zxid}`));
  }
  return applied;
}

describe('snapshots and recovery', () => {
  it('recovers from the newest snapshot plus the log after it', async () => {
    const storage = await openStorage();
    await storage.recover();
    const applied = await buildHistory(storage, 4);
    expect(storage.metrics.lastSnapshotBytes).toBeGreaterThan(0);
    await storage.close();

    expect(await files('snapshot')).toEqual(['snapshot.a', 'snapshot.14', 'snapshot.1e', 'snapshot.28']);
    const recovered = await recoverFresh();
    expect(recovered.snapshot?.zxid).toBe(40n);
    expect(recovered.txns.map((t) => t.zxid)).toEqual([41n, 42n, 43n, 44n, 45n]);
    expect(recovered.lastZxid).toBe(45n);
    expect(stateOf(recovered)).toEqual(applied);
    expect(warnings).toEqual([]);
  });

  it('falls back to the previous snapshot when the newest is corrupt, with a warning', async () => {
    const storage = await openStorage();
    await storage.recover();
    const applied = await buildHistory(storage, 3);
    await storage.close();
    const newest = path.join(versionDir(), 'snapshot.1e');
    const bytes = await fsp.readFile(newest);
    flip(bytes, bytes.length - 2, 0x20);
    await fsp.writeFile(newest, bytes);

    const recovered = await recoverFresh();
    expect(recovered.snapshot?.zxid).toBe(20n);
    expect(recovered.txns[0]?.zxid).toBe(21n);
    expect(stateOf(recovered)).toEqual(applied);
    expect(warnings.join('\n')).toMatch(/skipping invalid snapshot .*snapshot\.1e: checksum mismatch/);
  });

  it('ignores a truncated snapshot and an interrupted temp file', async () => {
    const storage = await openStorage();
    await storage.recover();
    const applied = await buildHistory(storage, 2);
    await storage.close();
    await fsp.truncate(path.join(versionDir(), 'snapshot.14'), 30);
    await fsp.writeFile(path.join(versionDir(), 'snapshot.99.tmp'), 'half a snapshot');
    const recovered = await recoverFresh();
    expect(recovered.snapshot?.zxid).toBe(10n);
    expect(stateOf(recovered)).toEqual(applied);
    expect((await fsp.readdir(versionDir())).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('writes snapshots without blocking appends, and skips a snapshot while one is in progress', async () => {
    const gate = new GatedSnapshotSync();
    const storage = await openStorage({ fs: gate });
    await storage.recover();
    await storage.append(1n, Buffer.from('a'));
    const first = storage.snapshot(1n, Buffer.alloc(1024 * 1024, 7));
    await until(() => gate.waiting !== null);
    // The snapshot's fsync is held; appends still become durable.
    await storage.append(2n, Buffer.from('b'));
    await storage.append(3n, Buffer.from('c'));
    expect(storage.snapshotInProgress).toBe(true);
    expect(await storage.snapshot(3n, Buffer.from('x'))).toBe(false);
    expect(await files('snapshot')).toEqual([]);
    gate.waiting?.();
    expect(await first).toBe(true);
    expect(await files('snapshot')).toEqual(['snapshot.1']);
    // The roll put the appends made after the snapshot started into a new file.
    expect(await files('log')).toEqual(['log.1', 'log.2']);
    await storage.close();
    const recovered = await recoverFresh();
    expect(recovered.snapshot?.data.length).toBe(1024 * 1024);
    expect(recovered.txns.map((t) => t.bytes.toString())).toEqual(['b', 'c']);
  });

  it('flushes a big snapshot 4 MiB at a time, so the log never waits behind all of it', async () => {
    const gate = new GatedSnapshotSync();
    const storage = await openStorage({ fs: gate });
    await storage.recover();
    await storage.append(1n, Buffer.from('a'));
    const pieces = [Buffer.alloc(3 * 1024 * 1024, 1), Buffer.alloc(9 * 1024 * 1024, 2), Buffer.alloc(1024, 3)];
    const written = storage.snapshot(1n, pieces);
    await until(() => gate.waiting !== null);
    gate.waiting?.();
    expect(await written).toBe(true);
    let unsynced = 0;
    let most = 0;
    for (const op of gate.ops) {
      if (op.startsWith('write ')) unsynced += Number(op.slice(6));
      else unsynced = 0;
      most = Math.max(most, unsynced);
    }
    expect(gate.ops.filter((op) => op === 'datasync').length).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(4 * 1024 * 1024 + 28); // a step, plus the header before the first
    expect(gate.ops[gate.ops.length - 1]).toBe('sync');
    await storage.close();
    const recovered = await recoverFresh();
    expect(recovered.snapshot?.data.equals(Buffer.concat(pieces))).toBe(true); // toEqual is far too slow on 12 MB
  });
});

/** Holds a snapshot's final fsync until the test releases it, and records what was done to the temp file. */
class GatedSnapshotSync implements FileSystem {
  waiting: (() => void) | null = null;
  /** `write <bytes>`, `datasync`, `sync`, in order. */
  readonly ops: string[] = [];
  private readonly inner = nodeFileSystem;
  open: FileSystem['open'] = async (p, mode) => {
    const file = await this.inner.open(p, mode);
    if (!p.endsWith('.tmp')) return file;
    return {
      write: (d, pos) => {
        this.ops.push(`write ${d.length}`);
        return file.write(d, pos);
      },
      read: (l, pos) => file.read(l, pos),
      datasync: () => {
        this.ops.push('datasync');
        return file.datasync();
      },
      sync: async () => {
        this.ops.push('sync');
        await new Promise<void>((resolve) => (this.waiting = resolve));
        await file.sync();
      },
      truncate: (l) => file.truncate(l),
      size: () => file.size(),
      close: () => file.close(),
    };
  };
  list = (d: string) => this.inner.list(d);
  mkdirp = (d: string) => this.inner.mkdirp(d);
  rename = (a: string, b: string) => this.inner.rename(a, b);
  remove = (p: string) => this.inner.remove(p);
  syncDir = (d: string) => this.inner.syncDir(d);
  sizeOf = (p: string) => this.inner.sizeOf(p);
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('autopurge', () => {
  it('keeps what recovery needs: recover after purge gives the same state', async () => {
    const storage = await openStorage();
    await storage.recover();
    const applied = await buildHistory(storage, 6);
    const before = stateOf(await recoverFresh());
    const logsBefore = await files('log');
    const plan = await storage.purge(3);
    expect(plan.oldestKeptSnapshotZxid).toBe(40n);
    expect(await files('snapshot')).toEqual(['snapshot.28', 'snapshot.32', 'snapshot.3c']);
    const logsAfter = await files('log');
    expect(logsAfter.length).toBeLessThan(logsBefore.length);
    // The newest log starting at or before snapshot.28 survives, whatever its name.
    const straddling = logsBefore.filter((n) => BigInt(`0x${n.slice(4)}`) <= 40n).pop();
    expect(logsAfter[0]).toBe(straddling);
    expect(storage.metrics.snapshotBytes).toBeGreaterThan(0);
    await storage.close();
    expect(stateOf(await recoverFresh())).toEqual(before);
    expect(before).toEqual(applied);
  });

  it('still recovers after purge when the newest snapshot is corrupt', async () => {
    const storage = await openStorage();
    await storage.recover();
    const applied = await buildHistory(storage, 5);
    await storage.purge(1); // counts as 3
    await storage.close();
    expect(await files('snapshot')).toHaveLength(3);
    const newest = path.join(versionDir(), 'snapshot.32');
    await fsp.writeFile(newest, 'garbage');
    const recovered = await recoverFresh();
    expect(recovered.snapshot?.zxid).toBe(40n);
    expect(stateOf(recovered)).toEqual(applied);
  });

  it('purges a separate dataLogDir', async () => {
    const dataLogDir = path.join(dataDir, 'txnlog');
    const storage = await openStorage({ dataLogDir });
    await storage.recover();
    const applied = await buildHistory(storage, 5);
    await storage.purge(3);
    await storage.close();
    expect(await files('log', path.join(dataLogDir, 'version-2'))).not.toContain('log.1');
    expect(await files('log')).toEqual([]);
    expect(stateOf(await recoverFresh({ dataLogDir }))).toEqual(applied);
  });

  it('schedules runs every purgeInterval hours, and never with 0', async () => {
    let runs = 0;
    const off = schedulePurge({ purgeIntervalHours: 0, purge: async () => void runs++ });
    const on = schedulePurge({ purgeIntervalHours: 0.02 / 3600, purge: async () => void runs++ }); // every 20 ms
    await new Promise((resolve) => setTimeout(resolve, 110));
    on.stop();
    off.stop();
    const seen = runs;
    expect(seen).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toBe(seen);
  });
});

describe('epoch files', () => {
  it('are absent on a fresh node, then hold exactly what was written', async () => {
    const storage = await openStorage();
    expect(await storage.readEpoch('accepted')).toBeNull();
    expect(await storage.readEpoch('current')).toBeNull();
    await storage.writeEpoch('accepted', 5n);
    await storage.writeEpoch('current', 4n);
    await storage.writeEpoch('accepted', 2n ** 40n);
    expect(await fsp.readFile(path.join(versionDir(), 'acceptedEpoch'), 'utf8')).toBe(String(2n ** 40n));
    expect(await fsp.readFile(path.join(versionDir(), 'currentEpoch'), 'utf8')).toBe('4');
    expect((await fsp.readdir(versionDir())).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const reopened = await openStorage();
    expect(await reopened.readEpoch('accepted')).toBe(2n ** 40n);
    expect(await reopened.readEpoch('current')).toBe(4n);
  });

  it('reads what ZooKeeper writes and refuses garbage', async () => {
    const storage = await openStorage();
    await fsp.writeFile(path.join(versionDir(), 'currentEpoch'), '7\n');
    expect(await storage.readEpoch('current')).toBe(7n);
    await fsp.writeFile(path.join(versionDir(), 'acceptedEpoch'), 'seven');
    await expect(storage.readEpoch('accepted')).rejects.toThrow(/does not hold a number/);
  });
});
