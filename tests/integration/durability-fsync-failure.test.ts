/**
 * A failed fdatasync is fatal and never retried: the LocalReplicator over real files with an injected EIO stops
 * committing, reports once, refuses further writes, and nothing after the failure is applied or answered.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalReplicator } from '../../ensemble/server/local-replicator.ts';
import { InstrumentedFileSystem, Storage } from '../../ensemble/storage/index.ts';
import { errnoError } from '../../ensemble/storage/instrumented-fs.ts';
import type { Txn } from '../../ensemble/tree/api.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-fsync-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (cxid: number) => ({ sessionId: 0n, cxid, auth: [], op: { type: 'setData' as const, path: '/x', data: Buffer.from('v'), version: -1 } });

describe('durability: fdatasync failure', () => {
  it('stops committing, reports once, refuses later writes, never retries the sync', async () => {
    const ifs = new InstrumentedFileSystem();
    const fatal: Error[] = [];
    const storage = await Storage.open({ dataDir: dir, fs: ifs, preAllocSize: 64 * 1024, log: () => {} });
    await storage.recover();
    const replicator = new LocalReplicator({ storage, lastZxid: 0n, onFatal: (e) => fatal.push(e) });
    const committed: Txn[] = [];
    const states: string[] = [];
    replicator.onCommit((t) => committed.push(t));
    replicator.onStateChange((s) => states.push(s));

    expect(replicator.submit(write(1))).toBe(true);
    await storage.flush();
    await new Promise((r) => setImmediate(r));
    expect(committed.map((t) => t.hdr.zxid)).toEqual([1n]);

    ifs.faults = (op, p) => (op === 'datasync' ? errnoError('EIO', op, p) : null);
    const syncsBefore = ifs.count('datasync');
    expect(replicator.submit(write(2))).toBe(true);
    expect(replicator.submit(write(3))).toBe(true);
    for (let i = 0; i < 50 && fatal.length === 0; i++) await new Promise((r) => setTimeout(r, 10));

    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.message).toMatch(/transaction log write failed.*EIO/);
    expect(states).toEqual(['unavailable']);
    expect(replicator.state).toBe('unavailable');
    expect(replicator.submit(write(4))).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    // Neither failed write was applied, and the sync was attempted once, not retried.
    expect(committed.map((t) => t.hdr.zxid)).toEqual([1n]);
    expect(ifs.count('datasync') - syncsBefore).toBe(1);
    await replicator.close();
    await storage.close().catch(() => undefined);
  });
});
