/** Units behind the hardening: bound keys in zoo.cfg, the watch budget, the crash-simulating file system, ZK_TEST_FAULTS. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_BOUNDS, parseZooCfg } from '../../ensemble/config.ts';
import { WatcherType } from '../../ensemble/jute/index.ts';
import { WatchBudget } from '../../ensemble/server/watch-budget.ts';
import { SimulatedCrashFileSystem, Storage, fileSystemFromEnv, nodeFileSystem, parseDiskFaults } from '../../ensemble/storage/index.ts';
import { WatchManager } from '../../ensemble/tree/watches.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hardening-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const base = 'dataDir=/d\nclientPort=2181\n';

describe('bound keys in zoo.cfg', () => {
  it('have safe defaults', () => {
    const c = parseZooCfg(base);
    expect(c.maxCnxns).toBe(DEFAULT_BOUNDS.maxCnxns);
    expect(c.maxOutstandingPerConnection).toBe(1000);
    expect(c.maxSessions).toBe(DEFAULT_BOUNDS.maxSessions);
    expect(c.maxWatchesPerSession).toBe(DEFAULT_BOUNDS.maxWatchesPerSession);
    expect(c.quorumMaxMessageBytes).toBe(64 * 1024 * 1024);
    expect(c.electionMaxMessageBytes).toBe(64 * 1024);
  });
  it('are read and validated', () => {
    const c = parseZooCfg(base + 'maxCnxns=7\nmaxOutstandingPerConnection=9\nmaxSessions=11\nmaxWatchesPerSession=13\nquorum.maxMessageBytes=2000000\nelection.maxMessageBytes=4096\njute.maxbuffer=1000000\n');
    expect([c.maxCnxns, c.maxOutstandingPerConnection, c.maxSessions, c.maxWatchesPerSession, c.quorumMaxMessageBytes, c.electionMaxMessageBytes]).toEqual([7, 9, 11, 13, 2000000, 4096]);
    expect(() => parseZooCfg(base + 'maxOutstandingPerConnection=0')).toThrow(ConfigError);
    expect(() => parseZooCfg(base + 'election.maxMessageBytes=100')).toThrow(/out of range/);
    // A proposal carrying a jute.maxbuffer request must fit a quorum message.
    expect(() => parseZooCfg(base + 'quorum.maxMessageBytes=1048576')).toThrow(/at least jute.maxbuffer/);
  });
});

describe('WatchBudget', () => {
  it('counts distinct watched paths per session and frees a consumed one-time watch', () => {
    const b = new WatchBudget(new WatchManager(), 2);
    b.add(1n, '/a', 'data');
    b.add(1n, '/a', 'child');
    expect(b.fits(1n, ['/b'])).toBe(true);
    b.add(1n, '/b', 'data');
    expect(b.fits(1n, ['/c'])).toBe(false);
    expect(b.fits(1n, ['/a'])).toBe(true);
    expect(b.fits(2n, ['/c'])).toBe(true);
    b.trigger({ type: 'dataChanged', path: '/b' } as never);
    expect(b.watchedBy(1n)).toBe(1);
    expect(b.remove(1n, '/a', WatcherType.Any)).toBe(true);
    expect(b.watchedBy(1n)).toBe(0);
  });
});

describe('SimulatedCrashFileSystem', () => {
  it('keeps writes in memory until synced; crash() drops the unsynced ones', async () => {
    const cfs = new SimulatedCrashFileSystem();
    const p = path.join(tmp, 'f');
    const f = await cfs.open(p, 'createNew');
    await f.write(Buffer.from('hello'), 0);
    await f.datasync();
    await f.write(Buffer.from(' world'), 5);
    expect((await f.read(11, 0)).toString()).toBe('hello world');
    expect(cfs.unsyncedBytes).toBe(6);
    expect(fs.readFileSync(p).toString()).toBe('hello');
    cfs.crash();
    expect((await f.read(100, 0)).toString()).toBe('hello');
    await f.close();
  });

  async function crashAfterAppends(forceSync: boolean): Promise<{ acked: bigint[]; recovered: bigint[] }> {
    const dir = fs.mkdtempSync(path.join(tmp, 'st-'));
    const cfs = new SimulatedCrashFileSystem();
    const s = await Storage.open({ dataDir: dir, fs: cfs, forceSync, preAllocSize: 4096, log: () => {} });
    await s.recover();
    const acked: bigint[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.append(BigInt(i + 1), Buffer.from(`txn ${i}`)).then(() => acked.push(BigInt(i + 1)))));
    cfs.crash();
    const again = await Storage.open({ dataDir: dir, fs: nodeFileSystem, log: () => {} });
    const r = await again.recover();
    await again.close();
    return { acked, recovered: r.txns.map((t) => t.zxid) };
  }

  it('every acknowledged append survives a crash; without fdatasync they do not (the shim sees a missing sync)', async () => {
    const synced = await crashAfterAppends(true);
    expect(synced.acked).toHaveLength(50);
    expect(synced.recovered).toEqual(synced.acked.slice().sort((a, b) => (a < b ? -1 : 1)));
    const unsynced = await crashAfterAppends(false);
    expect(unsynced.acked).toHaveLength(50);
    expect(unsynced.recovered.length).toBeLessThan(50);
  });
});

describe('ZK_TEST_FAULTS', () => {
  it('parses directives and refuses unknown ones', () => {
    expect(parseDiskFaults('crash-sim,fsync-eio-after:3,enospc-after-bytes:10')).toEqual({ crashSim: true, fsyncEioAfter: 3, enospcAfterBytes: 10 });
    expect(() => parseDiskFaults('fsync-eio-after:x')).toThrow(/non-negative integer/);
    expect(() => parseDiskFaults('explode')).toThrow(/unknown fault/);
    expect(fileSystemFromEnv({})).toBe(nodeFileSystem);
    expect(fileSystemFromEnv({ ZK_TEST_FAULTS: 'crash-sim' })).toBeInstanceOf(SimulatedCrashFileSystem);
  });
});
