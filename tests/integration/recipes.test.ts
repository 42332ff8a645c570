/**
 * The coordination recipes against a real server process: locks across separate OS processes, a queue with
 * concurrent consumers, leader election with a leader that goes away, ids, barriers and group membership.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMode, ZkClient } from '../../ensemble/client/index.ts';
import {
  Barrier,
  DistributedLock,
  DistributedQueue,
  DoubleBarrier,
  GroupMembership,
  LeaderLatch,
  ReadWriteLock,
  UniqueIdGenerator,
  protectedCreate,
} from '../../sdk/index.ts';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';
import { REPO_ROOT, startOurServer } from '../helpers/our-server.ts';
import { expireSession } from '../helpers/expire-session.ts';

const targets = [
  { name: 'our server', start: () => startOurServer({ tickTime: 500 }), needs: ourServerUnavailable },
  { name: 'Apache ZooKeeper', start: () => startApacheZk({ tickTime: 500 }), needs: apacheZkUnavailable },
];

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A contender in its own process: takes the lock `rounds` times and does an unguarded read-modify-write under it. */
const LOCK_WORKER = `
import { ZkClient, CreateMode, ErrorCode, isZkError } from ${JSON.stringify(path.join(REPO_ROOT, 'ensemble/client/index.ts'))};
import { DistributedLock } from ${JSON.stringify(path.join(REPO_ROOT, 'sdk/index.ts'))};
const [connectString, base, rounds] = process.argv.slice(2);
const zk = await ZkClient.connect(connectString, { sessionTimeout: 10000 });
const lock = new DistributedLock(zk, base + '/lock');
let overlaps = 0;
for (let i = 0; i < Number(rounds); i++) {
  await lock.acquire({ timeoutMs: 30000 });
  try {
    await zk.create(base + '/holder', String(process.pid), { mode: CreateMode.EPHEMERAL });
  } catch (e) {
    if (isZkError(e, ErrorCode.NODEEXISTS)) overlaps++; else throw e;
  }
  const { data } = await zk.getData(base + '/counter');
  await new Promise((r) => setTimeout(r, Math.random() * 3));
  await zk.setData(base + '/counter', String(Number(data.toString()) + 1));
  await zk.delete(base + '/holder').catch(() => {});
  await lock.release();
}
await zk.close();
console.log(JSON.stringify({ overlaps }));
`;

function runWorker(file: string, args: string[]): Promise<{ overlaps: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { overlaps: number });
    });
  });
}

/** A relay that, when armed, swallows the next reply from the server and cuts the client off: a lost create reply. */
class ReplyDropper {
  dropNextReply = false;
  private constructor(private readonly server: net.Server, readonly port: number) {}
  static async start(targetPort: number): Promise<ReplyDropper> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dropper = new ReplyDropper(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        if (dropper.dropNextReply) {
          dropper.dropNextReply = false;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(d);
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    return dropper;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let counter = 0;
const fresh = (): string => `/recipes-${process.pid}-${++counter}`;

for (const target of targets) {
  describe.skipIf(skipReason(`recipes on ${target.name}`, target.needs))(`recipes on ${target.name}`, () => {
    let server: RunningServer;
    const clients: ZkClient[] = [];
    const connect = async (sessionTimeout = 4000): Promise<ZkClient> => {
      const zk = await ZkClient.connect(server.connectString, { sessionTimeout });
      clients.push(zk);
      return zk;
    };
    let workDir: string;

    beforeAll(async () => {
      server = await target.start();
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-recipes-'));
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server?.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    });

    it('lock: never two holders among contenders in separate processes', async () => {
      const base = fresh();
      const zk = await connect();
      await zk.create(base);
      await zk.create(`${base}/counter`, '0');
      const worker = path.join(workDir, 'lock-worker.mts');
      fs.writeFileSync(worker, LOCK_WORKER);
      const processes = 5;
      const rounds = 8;
      const results = await Promise.all(Array.from({ length: processes }, () => runWorker(worker, [server.connectString, base, String(rounds)])));
      expect(results.map((r) => r.overlaps)).toEqual(Array(processes).fill(0));
      // An unguarded read-modify-write only adds up when the lock really excluded everyone else.
      expect((await zk.getData(`${base}/counter`)).data?.toString()).toBe(String(processes * rounds));
      expect(await zk.getChildren(`${base}/lock`)).toEqual([]);
    }, 60_000);

    it('protected create: finds its own node after the create reply was lost', async () => {
      const dropper = await ReplyDropper.start(server.port);
      const zk = new ZkClient(`127.0.0.1:${dropper.port}`, { sessionTimeout: 4000 });
      try {
        await zk.connect();
        const states: string[] = [];
        zk.on('state', (s) => states.push(s));
        const base = fresh();
        await zk.create(base);
        for (const mode of [CreateMode.PERSISTENT_SEQUENTIAL, CreateMode.EPHEMERAL_SEQUENTIAL]) {
          dropper.dropNextReply = true;
          const created = await protectedCreate(zk, base, 'job-', 'x', mode);
          expect(dropper.dropNextReply).toBe(false);
          expect((await zk.getData(created)).data?.toString()).toBe('x');
        }
        expect(states.filter((s) => s === 'disconnected')).toHaveLength(2);
        // One node per create: the retry found the node instead of creating a second one.
        expect(await zk.getChildren(base)).toHaveLength(2);
      } finally {
        await zk.close();
        await dropper.close();
      }
    });

    it('lock: a waiter that times out or is aborted withdraws, and the next in line gets the lock', async () => {
      const base = fresh();
      const [a, b, c] = [await connect(), await connect(), await connect()];
      const la = new DistributedLock(a, `${base}/lock`);
      const lb = new DistributedLock(b, `${base}/lock`);
      const lc = new DistributedLock(c, `${base}/lock`);
      await la.acquire();
      const bAcquired = lb.acquire();
      await until(() => lb.nodePath !== null, 'b to queue');
      await expect(lc.acquire({ timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(await a.getChildren(`${base}/lock`)).toHaveLength(2); // c withdrew its node
      await la.release();
      await bAcquired;
      expect(lb.isHeld).toBe(true);
      const controller = new AbortController();
      const cWaiting = lc.acquire({ signal: controller.signal });
      controller.abort(new Error('not needed any more'));
      await expect(cWaiting).rejects.toThrow('not needed any more');
      await lb.release();
      expect(await a.getChildren(`${base}/lock`)).toEqual([]);
    });

    it('lock: reports the lock lost when the session expires', async () => {
      const base = fresh();
      const zk = await connect(2000);
      const lock = new DistributedLock(zk, `${base}/lock`);
      await lock.acquire();
      let lost = 0;
      lock.on('lost', () => lost++);
      await expireSession(server.connectString, zk);
      await until(() => lost === 1, 'the lost event');
      expect(lock.isHeld).toBe(false);
      const other = new DistributedLock(await connect(), `${base}/lock`);
      await other.acquire({ timeoutMs: 5000 });
      expect(other.isHeld).toBe(true);
      // A lock node deleted from outside is a lost lock too.
      let otherLost = 0;
      other.on('lost', () => otherLost++);
      await clients[0]!.delete(other.nodePath!);
      await until(() => otherLost === 1, 'the lost event after deletion');
      expect(other.isHeld).toBe(false);
    });

    it('lock: a delete from another session right after acquire() resolves is always reported lost', async () => {
      const base = fresh();
      const [holder, operator] = [await connect(), await connect()];
      for (let i = 0; i < 40; i++) {
        const lock = new DistributedLock(holder, `${base}/lock`);
        await lock.acquire();
        const lost = new Promise<void>((resolve) => lock.once('lost', resolve));
        await operator.delete(lock.nodePath!);
        await Promise.race([lost, new Promise((_, reject) => setTimeout(() => reject(new Error(`no 'lost' event in round ${i}`)), 5000))]);
        expect(lock.isHeld).toBe(false);
      }
    });

    it('read-write lock: readers share, a writer excludes', async () => {
      const base = fresh();
      const [a, b, c] = [await connect(), await connect(), await connect()];
      const ra = new ReadWriteLock(a, `${base}/rw`);
      const rb = new ReadWriteLock(b, `${base}/rw`);
      const wc = new ReadWriteLock(c, `${base}/rw`);
      await ra.readLock.acquire();
      await rb.readLock.acquire({ timeoutMs: 2000 }); // a second reader gets in alongside
      let written = false;
      const writer = wc.writeLock.acquire().then(() => (written = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(written).toBe(false);
      // A reader queued after the writer waits for it.
      const late = new ReadWriteLock(await connect(), `${base}/rw`);
      await expect(late.readLock.acquire({ timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
      await ra.readLock.release();
      expect(written).toBe(false);
      await rb.readLock.release();
      await writer;
      expect(wc.writeLock.isHeld).toBe(true);
      await wc.writeLock.release();
    });

    it('queue: every element reaches exactly one of many concurrent consumers', async () => {
      const base = fresh();
      const producer = new DistributedQueue(await connect(), `${base}/q`);
      const consumers = await Promise.all(Array.from({ length: 4 }, async () => new DistributedQueue(await connect(), `${base}/q`)));
      const total = 120;
      const received: string[][] = consumers.map(() => []);
      const done = new AbortController();
      const loops = consumers.map(async (q, i) => {
        for (;;) {
          try {
            received[i]!.push((await q.take({ signal: done.signal })).toString());
          } catch {
            return;
          }
        }
      });
      for (let i = 0; i < total; i++) await producer.offer(`e${i}`);
      await until(() => received.flat().length >= total, 'all elements');
      await new Promise((r) => setTimeout(r, 200));
      done.abort();
      await Promise.all(loops);
      const all = received.flat();
      expect(all).toHaveLength(total);
      expect(new Set(all).size).toBe(total);
      expect(received.filter((r) => r.length > 0).length).toBeGreaterThan(1);
      // FIFO per consumer: each consumer got elements in offer order.
      for (const r of received) expect(r.map((e) => Number(e.slice(1)))).toEqual([...r.map((e) => Number(e.slice(1)))].sort((x, y) => x - y));
      expect(await producer.poll()).toBeNull();
    });

    it('queue: poll, FIFO order and capacity', async () => {
      const base = fresh();
      const q = new DistributedQueue(await connect(), `${base}/q`, { capacity: 2 });
      expect(await q.offer('a')).toBe(true);
      expect(await q.offer('b')).toBe(true);
      expect(await q.offer('c')).toBe(false);
      expect(await q.size()).toBe(2);
      expect((await q.poll())?.toString()).toBe('a');
      expect((await q.take({ timeoutMs: 1000 })).toString()).toBe('b');
      await expect(q.take({ timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
    });

    it('leader election: one leader at a time, and a new one after the leader leaves', async () => {
      const base = fresh();
      const zks = await Promise.all([connect(), connect(), connect()]);
      const latches = zks.map((zk, i) => new LeaderLatch(zk, `${base}/leader`, `node-${i}`));
      const leadersOverTime: number[] = [];
      const sample = (): void => {
        leadersOverTime.push(latches.filter((l) => l.isLeader).length);
      };
      for (const l of latches) {
        l.on('isLeader', sample);
        l.on('notLeader', sample);
      }
      await Promise.all(latches.map((l) => l.start()));
      await until(() => latches.some((l) => l.isLeader), 'a leader');
      const first = latches.findIndex((l) => l.isLeader);
      expect(latches.filter((l) => l.isLeader)).toHaveLength(1);
      expect((await latches[0]!.participants())[0]).toBe(`node-${first}`);
      // The leader's session ends: another candidate takes over.
      await zks[first]!.close();
      await until(() => latches.some((l, i) => i !== first && l.isLeader), 'a new leader');
      expect(latches[first]!.isLeader).toBe(false);
      expect(latches.filter((l) => l.isLeader)).toHaveLength(1);
      for (const n of leadersOverTime) expect(n).toBeLessThanOrEqual(1);
      const second = latches.findIndex((l) => l.isLeader);
      await latches[second]!.close();
      await until(() => latches.filter((l, i) => i !== first && i !== second && l.isLeader).length === 1, 'the last leader');
    });

    it('unique ids: distinct and increasing across clients, with no node left behind', async () => {
      const base = fresh();
      const gens = await Promise.all([connect(), connect()]).then((zks) => zks.map((zk) => new UniqueIdGenerator(zk, `${base}/ids`)));
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => gens[i % 2]!.next()));
      expect(new Set(ids).size).toBe(40);
      const sequential: number[] = [];
      for (let i = 0; i < 5; i++) sequential.push(await gens[0]!.next());
      for (let i = 1; i < sequential.length; i++) expect(sequential[i]!).toBeGreaterThan(sequential[i - 1]!);
      expect(await clients[0]!.getChildren(`${base}/ids`)).toEqual([]);
    });

    it('barrier: waiters are released when it is removed', async () => {
      const base = fresh();
      const owner = new Barrier(await connect(), `${base}/barrier`);
      await owner.set();
      let released = false;
      const waiting = new Barrier(await connect(), `${base}/barrier`).wait().then(() => (released = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(released).toBe(false);
      await owner.remove();
      await waiting;
      expect(released).toBe(true);
    });

    it('double barrier: nobody starts before all entered, nobody finishes before all left', async () => {
      const base = fresh();
      const n = 3;
      const zks = await Promise.all(Array.from({ length: n }, () => connect()));
      const barriers = zks.map((zk, i) => new DoubleBarrier(zk, `${base}/db`, n, `m${i}`));
      const entered: number[] = [];
      const firstTwo = barriers.slice(0, 2).map((b, i) => b.enter({ timeoutMs: 10_000 }).then(() => entered.push(i)));
      await new Promise((r) => setTimeout(r, 200));
      expect(entered).toEqual([]);
      await barriers[2]!.enter();
      await Promise.all(firstTwo);
      expect(entered.sort()).toEqual([0, 1]);
      const left: number[] = [];
      const leaving = barriers.slice(1).map((b, i) => b.leave({ timeoutMs: 10_000 }).then(() => left.push(i + 1)));
      await new Promise((r) => setTimeout(r, 200));
      expect(left).toEqual([]);
      await barriers[0]!.leave();
      await Promise.all(leaving);
      expect(left.sort()).toEqual([1, 2]);
      expect(await zks[0]!.getChildren(`${base}/db`)).toEqual([]);
    });

    it('group membership: ephemeral members and change events', async () => {
      const base = fresh();
      const watcher = new GroupMembership(await connect(), `${base}/group`);
      const changes: Array<{ joined: string[]; left: string[] }> = [];
      watcher.on('change', (_m, diff) => changes.push(diff));
      expect(await watcher.watch()).toEqual([]);
      const a = await connect();
      const b = await connect();
      await new GroupMembership(a, `${base}/group`).join('a', 'host-a:8080');
      await until(() => watcher.memberIds.length === 1, 'a to join');
      await new GroupMembership(b, `${base}/group`).join('b');
      await until(() => watcher.memberIds.length === 2, 'b to join');
      expect((await watcher.memberData('a'))?.toString()).toBe('host-a:8080');
      await expect(new GroupMembership(b, `${base}/group`).join('a')).rejects.toThrow(/already/);
      await a.close();
      await until(() => watcher.memberIds.join() === 'b', 'a to leave with its session');
      expect(changes).toEqual([
        { joined: ['a'], left: [] },
        { joined: ['b'], left: [] },
        { joined: [], left: ['a'] },
      ]);
      watcher.stop();
    });
  });
}
