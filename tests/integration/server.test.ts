/**
 * One node as a real process (ensemble/cli/server.ts) over real TCP, driven by node-zookeeper-client and by raw
 * frames. Expected values come from running the same requests against Apache ZooKeeper 3.8.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zookeeper, { type ACL, type Client, type ClientOptions, type OpResult, type Stat } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddWatchRequestCodec,
  AuthPacketCodec,
  CheckVersionRequestCodec,
  CheckWatchesRequestCodec,
  Create2ResponseCodec,
  CreateRequestCodec,
  CreateResponseCodec,
  CreateTTLRequestCodec,
  ErrorCode,
  EventType,
  GetAllChildrenNumberResponseCodec,
  GetChildren2ResponseCodec,
  GetDataResponseCodec,
  GetEphemeralsResponseCodec,
  JuteReader,
  OpCode,
  PathRequestCodec,
  PathWatchRequestCodec,
  SetDataRequestCodec,
  SetWatchesCodec,
  SetWatches2Codec,
  StatCodec,
  WhoAmIResponseCodec,
  readMultiResponse,
  writeMultiRequest,
  type JuteWriter,
} from '../../ensemble/jute/index.ts';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { REPO_ROOT, startOurServer, TSX_LOADER } from '../helpers/our-server.ts';
import { fourLetterWord } from '../helpers/ports.ts';
import { RawClient } from './server-raw-client.ts';

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const OPEN = zookeeper.ACL.OPEN_ACL_UNSAFE;
const PERSISTENT = zookeeper.CreateMode.PERSISTENT;
const TICK = 500;

let server: RunningServer;
let port: number;

beforeAll(async () => {
  server = await startOurServer({
    tickTime: TICK,
    config: { extendedTypesEnabled: 'true', 'znode.container.checkIntervalMs': '100' },
  });
  port = server.port;
});

afterAll(async () => {
  await server?.stop();
});

const create = (path: string, data: string | null = 'd', flags = 0) => (w: JuteWriter) =>
  CreateRequestCodec.write(w, { path, data: data === null ? null : Buffer.from(data), acl: OPEN_ACL, flags });
const pathWatch = (path: string, watch = false) => (w: JuteWriter) => PathWatchRequestCodec.write(w, { path, watch });
const pathOnly = (path: string) => (w: JuteWriter) => PathRequestCodec.write(w, { path });

function decode<T>(codec: { read(r: JuteReader): T }, body: Buffer): T {
  return codec.read(new JuteReader(body));
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

// ---------------------------------------------------------------- node-zookeeper-client helpers

type Zk = Client;

async function connectZk(opts: ClientOptions = {}): Promise<Zk> {
  const c = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 10_000, retries: 0, ...opts });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('node-zookeeper-client did not connect')), 10_000);
    c.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
    c.connect();
  });
  return c;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the callbacks' value types vary per call
function call<T = unknown>(f: (cb: (e: Error | null, ...v: any[]) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v as T))));
}

function errorCode(e: unknown): number {
  return (e as { getCode?: () => number }).getCode?.() ?? NaN;
}

describe('handshake', () => {
  it('negotiates the timeout into [2, 20] ticks and hands out a session id and a 16-byte password', async () => {
    const low = await RawClient.open(port, { timeout: 1 });
    const high = await RawClient.open(port, { timeout: 10_000_000 });
    const mid = await RawClient.open(port, { timeout: 3000 });
    try {
      expect(low.connect?.timeOut).toBe(2 * TICK);
      expect(high.connect?.timeOut).toBe(20 * TICK);
      expect(mid.connect?.timeOut).toBe(3000);
      for (const c of [low, high, mid]) {
        expect(c.connect?.passwd?.length).toBe(16);
        expect(c.connect!.sessionId >> 56n).toBe(1n); // server id 1 in the top byte, as standalone ZooKeeper
      }
      expect(new Set([low, high, mid].map((c) => c.connect!.sessionId)).size).toBe(3);
    } finally {
      [low, high, mid].forEach((c) => c.close());
    }
  });

  it('refuses a client that has seen a newer zxid than ours (closes without a response)', async () => {
    const c = await RawClient.open(port, { lastZxidSeen: 0x7fff_ffff_ffffn });
    expect(c.connect).toBeUndefined();
    await c.until(() => c.closed);
  });

  it('closes a connection whose first frame is not a ConnectRequest', async () => {
    const c = await RawClient.open(port, { handshake: false });
    c.sendRaw(Buffer.from([1, 2, 3]));
    await c.until(() => c.closed);
    expect(c.received).toEqual([]);
  });
});

describe('operations through node-zookeeper-client', () => {
  let zk: Zk;
  beforeAll(async () => {
    zk = await connectZk();
  });
  afterAll(() => zk?.close());

  it('creates, reads, updates, lists and deletes', async () => {
    expect(await call((cb) => zk.create('/nzc', Buffer.from('v1'), OPEN, PERSISTENT, cb))).toBe('/nzc');
    const [data, stat] = await new Promise<[Buffer | undefined, Stat]>((res, rej) =>
      zk.getData('/nzc', undefined, (e, d, s) => (e ? rej(e) : res([d, s]))),
    );
    expect(data?.toString()).toBe('v1');
    expect(stat.version).toBe(0);
    const stat2 = await call<Stat>((cb) => zk.setData('/nzc', Buffer.from('v2'), 0, cb));
    expect(stat2.version).toBe(1);
    await expect(call((cb) => zk.setData('/nzc', Buffer.from('v3'), 0, cb))).rejects.toSatisfy((e) => errorCode(e) === ErrorCode.BADVERSION);
    expect(await call((cb) => zk.create('/nzc/kid-', null, OPEN, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb))).toBe('/nzc/kid-0000000000');
    expect(await call((cb) => zk.create('/nzc/kid-', null, OPEN, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb))).toBe('/nzc/kid-0000000001');
    expect((await call<string[]>((cb) => zk.getChildren('/nzc', undefined, cb))).sort()).toEqual(['kid-0000000000', 'kid-0000000001']);
    await expect(call((cb) => zk.remove('/nzc', -1, cb))).rejects.toSatisfy((e) => errorCode(e) === ErrorCode.NOTEMPTY);
    await expect(call((cb) => zk.create('/nzc', null, OPEN, PERSISTENT, cb))).rejects.toSatisfy((e) => errorCode(e) === ErrorCode.NODEEXISTS);
    await expect(call((cb) => zk.create('/missing/child', null, OPEN, PERSISTENT, cb))).rejects.toSatisfy((e) => errorCode(e) === ErrorCode.NONODE);
    await call((cb) => zk.remove('/nzc/kid-0000000000', -1, cb));
    await call((cb) => zk.remove('/nzc/kid-0000000001', -1, cb));
    await call((cb) => zk.remove('/nzc', 1, cb));
    expect(await call((cb) => zk.exists('/nzc', undefined, cb))).toBeNull();
  });

  it('sets and reads ACLs, and enforces them with digest auth', async () => {
    const acl = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', 'alice:' + digestOf('alice:secret')))];
    await call((cb) => zk.create('/nzc-acl', Buffer.from('x'), acl, zookeeper.CreateMode.PERSISTENT, cb));
    await expect(call((cb) => zk.getData('/nzc-acl', undefined, cb))).rejects.toSatisfy((e) => errorCode(e) === ErrorCode.NOAUTH);
    const alice = await connectZk();
    try {
      alice.addAuthInfo('digest', Buffer.from('alice:secret'));
      expect(String(await call((cb) => alice.getData('/nzc-acl', undefined, cb)))).toBe('x');
      const got = await call<ACL[]>((cb) => alice.getACL('/nzc-acl', cb));
      expect(got[0]!.id.id).toBe('alice:' + digestOf('alice:secret'));
      await call((cb) => alice.setACL('/nzc-acl', [new zookeeper.ACL(31, new zookeeper.Id('world', 'anyone'))], -1, cb));
      expect(String(await call((cb) => zk.getData('/nzc-acl', undefined, cb)))).toBe('x');
    } finally {
      alice.close();
    }
  });

  it('runs a multi as one transaction', async () => {
    const results = await call<OpResult[]>((cb) => zk.transaction().create('/tx').create('/tx/a').setData('/tx', Buffer.from('y'), 0).commit(cb));
    expect(results.length).toBe(3);
    await expect(call((cb) => zk.transaction().create('/tx2').check('/tx', 99).commit(cb))).rejects.toBeDefined();
    expect(await call((cb) => zk.exists('/tx2', undefined, cb))).toBeNull(); // rolled back
  });
});

/** base64(sha1("user:password")), computed independently of the server. */
function digestOf(userPassword: string): string {
  return crypto.createHash('sha1').update(userPassword).digest('base64');
}

describe('every opcode over raw frames', () => {
  let c: RawClient;
  beforeAll(async () => {
    c = await RawClient.open(port);
  });
  afterAll(() => c?.close());

  it('create / create2 / createContainer / createTTL', async () => {
    const r1 = await c.call(OpCode.create, create('/raw'));
    expect(r1.header.err).toBe(0);
    expect(decode(CreateResponseCodec, r1.body).path).toBe('/raw');
    const r2 = await c.call(OpCode.create2, create('/raw/two', 'abc'));
    expect(r2.header.err).toBe(0);
    const c2 = decode(Create2ResponseCodec, r2.body);
    expect(c2.path).toBe('/raw/two');
    expect(c2.stat.dataLength).toBe(3);
    expect(c2.stat.czxid).toBe(r2.header.zxid);
    const r3 = await c.call(OpCode.createContainer, create('/raw/box', null, 4));
    expect(r3.header.err).toBe(0);
    const r4 = await c.call(OpCode.createTTL, (w) =>
      CreateTTLRequestCodec.write(w, { path: '/raw/ttl', data: null, acl: OPEN_ACL, flags: 5, ttl: 60_000n }),
    );
    expect(r4.header.err).toBe(0);
    expect(decode(Create2ResponseCodec, r4.body).path).toBe('/raw/ttl');
  });

  it('a failed write still consumes a zxid; reads carry the last applied zxid', async () => {
    const ok = await c.call(OpCode.create, create('/zx'));
    const dup = await c.call(OpCode.create, create('/zx'));
    expect(dup.header.err).toBe(ErrorCode.NODEEXISTS);
    expect(dup.header.zxid).toBe(ok.header.zxid + 1n);
    const read = await c.call(OpCode.getData, pathWatch('/zx'));
    expect(read.header.zxid).toBe(dup.header.zxid);
    const missing = await c.call(OpCode.getData, pathWatch('/zx-missing'));
    expect(missing.header).toMatchObject({ err: ErrorCode.NONODE, zxid: dup.header.zxid });
  });

  it('exists / getData / getChildren2 / getAllChildrenNumber / getEphemerals / sync / check', async () => {
    const ex = await c.call(OpCode.exists, pathWatch('/raw'));
    expect(decode(StatCodec, ex.body).numChildren).toBe(3);
    expect((await c.call(OpCode.exists, pathWatch('/nope'))).header.err).toBe(ErrorCode.NONODE);
    const gd = await c.call(OpCode.getData, pathWatch('/raw/two'));
    expect(decode(GetDataResponseCodec, gd.body).data?.toString()).toBe('abc');
    const gc = decode(GetChildren2ResponseCodec, (await c.call(OpCode.getChildren2, pathWatch('/raw'))).body);
    expect(gc.children.sort()).toEqual(['box', 'ttl', 'two']);
    expect(gc.stat.numChildren).toBe(3);
    const n = await c.call(OpCode.getAllChildrenNumber, pathOnly('/raw'));
    expect(decode(GetAllChildrenNumberResponseCodec, n.body).totalNumber).toBe(3);
    await c.call(OpCode.create, create('/raw/eph', null, 1));
    const eph = await c.call(OpCode.getEphemerals, (w) => w.string('/raw'));
    expect(decode(GetEphemeralsResponseCodec, eph.body).ephemerals).toEqual(['/raw/eph']);
    const sync = await c.call(OpCode.sync, pathOnly('/raw'));
    expect(sync.header.err).toBe(0);
    expect(new JuteReader(sync.body).string()).toBe('/raw');
    const check = await c.call(OpCode.check, (w) => CheckVersionRequestCodec.write(w, { path: '/raw/two', version: 5 }));
    expect(check.header.err).toBe(ErrorCode.BADVERSION);
  });

  it('setData / delete / setACL / getACL', async () => {
    const sd = await c.call(OpCode.setData, (w) => SetDataRequestCodec.write(w, { path: '/raw/two', data: Buffer.from('z'), version: 0 }));
    expect(decode(StatCodec, sd.body).version).toBe(1);
    const sa = await c.call(OpCode.setACL, (w) => {
      w.string('/raw/two');
      w.vector([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], (ww, a) => {
        ww.int(a.perms).string(a.id.scheme).string(a.id.id);
      });
      w.int(-1);
    });
    expect(sa.header.err).toBe(0);
    expect(decode(StatCodec, sa.body).aversion).toBe(1);
    const ga = await c.call(OpCode.getACL, pathOnly('/raw/two'));
    const r = new JuteReader(ga.body);
    expect(r.int()).toBe(1);
    expect(r.int()).toBe(1);
    const del = await c.call(OpCode.delete, (w) => w.string('/raw/two').int(-1));
    expect(del.header.err).toBe(0);
    expect(del.body.length).toBe(0);
  });

  it('multi and multiRead', async () => {
    const m = await c.call(OpCode.multi, (w) =>
      writeMultiRequest(w, [
        { type: OpCode.create, req: { path: '/m', data: null, acl: OPEN_ACL, flags: 0 } },
        { type: OpCode.setData, req: { path: '/m', data: Buffer.from('q'), version: 0 } },
        { type: OpCode.check, req: { path: '/m', version: 1 } },
      ]),
    );
    expect(m.header.err).toBe(0);
    expect(readMultiResponse(new JuteReader(m.body)).map((x) => x.type)).toEqual([OpCode.create, OpCode.setData, OpCode.check]);
    const bad = await c.call(OpCode.multi, (w) =>
      writeMultiRequest(w, [
        { type: OpCode.create, req: { path: '/m2', data: null, acl: OPEN_ACL, flags: 0 } },
        { type: OpCode.delete, req: { path: '/nope', version: -1 } },
      ]),
    );
    expect(readMultiResponse(new JuteReader(bad.body))).toEqual([
      { type: OpCode.error, err: 0 },
      { type: OpCode.error, err: ErrorCode.NONODE },
    ]);
    const mr = await c.call(OpCode.multiRead, (w) =>
      writeMultiRequest(w, [
        { type: OpCode.getData, req: { path: '/m', watch: false } },
        { type: OpCode.getChildren, req: { path: '/nope', watch: false } },
      ]),
    );
    const res = readMultiResponse(new JuteReader(mr.body));
    expect(res[0]).toMatchObject({ type: OpCode.getData, data: Buffer.from('q') });
    expect(res[1]).toEqual({ type: OpCode.error, err: ErrorCode.NONODE });
  });

  it('ping (xid -2) and unknown opcodes (UNIMPLEMENTED, zxid -1, then the connection is closed; the session lives)', async () => {
    c.send(OpCode.ping, () => {}, -2);
    const ping = await c.reply(-2);
    expect(ping.header).toMatchObject({ err: 0, zxid: (await c.call(OpCode.exists, pathWatch('/'))).header.zxid });
    const u = await RawClient.open(port);
    const unknown = await u.call(999);
    expect(unknown.header).toMatchObject({ err: ErrorCode.UNIMPLEMENTED, zxid: -1n });
    await u.until(() => u.closed);
    const back = await RawClient.open(port, { sessionId: u.connect!.sessionId, passwd: u.connect!.passwd! });
    expect(back.connect?.sessionId).toBe(u.connect!.sessionId);
    back.close();
  });

  it('auth adds a digest id (whoAmI), an unknown scheme fails and closes', async () => {
    const a = await RawClient.open(port);
    a.send(OpCode.auth, (w) => AuthPacketCodec.write(w, { type: 0, scheme: 'digest', auth: Buffer.from('bob:pw') }), -4);
    expect((await a.reply(-4)).header).toMatchObject({ err: 0, zxid: 0n });
    const who = decode(WhoAmIResponseCodec, (await a.call(OpCode.whoAmI)).body);
    // ZooKeeper keeps a connection's ids in a set: the order is not part of the contract.
    expect(who.clientInfo.map((i) => `${i.authScheme}:${i.user}`).sort()).toEqual(['digest:bob', 'ip:127.0.0.1']);
    a.send(OpCode.auth, (w) => AuthPacketCodec.write(w, { type: 0, scheme: 'kerberos', auth: Buffer.from('x') }), -4);
    await a.until(() => a.closed);
    expect(a.received.filter((m) => m.kind === 'reply' && m.header.xid === -4).map((m) => m.header.err)).toEqual([0, ErrorCode.AUTHFAILED]);
  });

  it('addWatch / checkWatches / removeWatches', async () => {
    const w = await RawClient.open(port);
    try {
      expect((await w.call(OpCode.checkWatches, (x) => CheckWatchesRequestCodec.write(x, { path: '/pw', type: 3 }))).header.err).toBe(ErrorCode.NOWATCHER);
      expect((await w.call(OpCode.removeWatches, (x) => CheckWatchesRequestCodec.write(x, { path: '/pw', type: 3 }))).header.err).toBe(ErrorCode.NOWATCHER);
      expect((await w.call(OpCode.addWatch, (x) => AddWatchRequestCodec.write(x, { path: '/pw', mode: 1 }))).header.err).toBe(0);
      await c.call(OpCode.create, create('/pw'));
      await c.call(OpCode.create, create('/pw/deep'));
      await w.until(() => w.events().length >= 2);
      expect(w.events().map((e) => [e.type, e.path])).toEqual([
        [EventType.NodeCreated, '/pw'],
        [EventType.NodeCreated, '/pw/deep'],
      ]);
      expect((await w.call(OpCode.checkWatches, (x) => CheckWatchesRequestCodec.write(x, { path: '/pw', type: 3 }))).header.err).toBe(0);
      expect((await w.call(OpCode.removeWatches, (x) => CheckWatchesRequestCodec.write(x, { path: '/pw', type: 3 }))).header.err).toBe(0);
      await c.call(OpCode.create, create('/pw/after'));
      await sleep(200);
      expect(w.events()).toHaveLength(2);
    } finally {
      w.close();
    }
  });

  it('setWatches fires at once what changed after relativeZxid and re-registers the rest', async () => {
    await c.call(OpCode.create, create('/sw'));
    const before = (await c.call(OpCode.exists, pathWatch('/sw'))).header.zxid;
    await c.call(OpCode.setData, (w) => SetDataRequestCodec.write(w, { path: '/sw', data: Buffer.from('n'), version: -1 }));
    const s = await RawClient.open(port);
    try {
      s.send(
        OpCode.setWatches,
        (w) => SetWatchesCodec.write(w, { relativeZxid: before, dataWatches: ['/sw', '/gone'], existWatches: ['/later', '/'], childWatches: ['/sw'] }),
        -8,
      );
      const reply = await s.reply(-8);
      expect(reply.header.err).toBe(0);
      // Events come before the reply, in DataTree.setWatches order.
      const idx = s.received.findIndex((m) => m.kind === 'reply');
      expect(s.received.slice(0, idx).map((m) => (m.kind === 'event' ? [m.event.type, m.event.path] : null))).toEqual([
        [EventType.NodeDataChanged, '/sw'],
        [EventType.NodeDeleted, '/gone'],
        [EventType.NodeCreated, '/'],
      ]);
      await c.call(OpCode.create, create('/later'));
      await c.call(OpCode.create, create('/sw/kid'));
      await s.until(() => s.events().length >= 5);
      expect(s.events().slice(3).map((e) => [e.type, e.path])).toEqual([
        [EventType.NodeCreated, '/later'],
        [EventType.NodeChildrenChanged, '/sw'],
      ]);
    } finally {
      s.close();
    }
  });

  it('setWatches2 re-registers persistent and persistent-recursive watches', async () => {
    const s = await RawClient.open(port);
    const relativeZxid = (await c.call(OpCode.exists, pathWatch('/'))).header.zxid;
    try {
      s.send(
        OpCode.setWatches2,
        (w) =>
          SetWatches2Codec.write(w, {
            relativeZxid,
            dataWatches: [],
            existWatches: [],
            childWatches: [],
            persistentWatches: ['/sw2'],
            persistentRecursiveWatches: ['/sw2r'],
          }),
        -8,
      );
      expect((await s.reply(-8)).header.err).toBe(0);
      expect(s.events()).toEqual([]); // persistent watches never fire on re-registration
      await c.call(OpCode.create, create('/sw2'));
      await c.call(OpCode.create, create('/sw2r'));
      await c.call(OpCode.create, create('/sw2r/kid'));
      await c.call(OpCode.create, create('/sw2/kid')); // a persistent (not recursive) watch sees only /sw2's own children list
      await s.until(() => s.events().length >= 4);
      expect(s.events().map((e) => [e.type, e.path])).toEqual([
        [EventType.NodeCreated, '/sw2'],
        [EventType.NodeCreated, '/sw2r'],
        [EventType.NodeCreated, '/sw2r/kid'],
        [EventType.NodeChildrenChanged, '/sw2'],
      ]);
    } finally {
      s.close();
    }
  });

  it('removes empty containers and expired TTL nodes in the periodic check', async () => {
    await c.call(OpCode.createContainer, create('/ctr', null, 4));
    await c.call(OpCode.create, create('/ctr/kid'));
    await c.call(OpCode.delete, (w) => w.string('/ctr/kid').int(-1));
    await c.call(OpCode.createTTL, (w) => CreateTTLRequestCodec.write(w, { path: '/short', data: null, acl: OPEN_ACL, flags: 5, ttl: 200n }));
    await eventually(async () => (await c.call(OpCode.exists, pathWatch('/ctr'))).header.err === ErrorCode.NONODE, 5000);
    await eventually(async () => (await c.call(OpCode.exists, pathWatch('/short'))).header.err === ErrorCode.NONODE, 5000);
  });
});

describe('watches and ordering', () => {
  it('a notification reaches the watcher before the reply to its own write', async () => {
    const c = await RawClient.open(port);
    try {
      await c.call(OpCode.create, create('/order'));
      await c.call(OpCode.getData, pathWatch('/order', true));
      const xid = c.send(OpCode.setData, (w) => SetDataRequestCodec.write(w, { path: '/order', data: Buffer.from('2'), version: -1 }));
      await c.reply(xid);
      const kinds = c.received.slice(-2).map((m) => (m.kind === 'event' ? `event:${m.event.type}:${m.event.path}` : `reply:${m.header.xid}`));
      expect(kinds).toEqual([`event:${EventType.NodeDataChanged}:/order`, `reply:${xid}`]);
    } finally {
      c.close();
    }
  });

  it("a notification reaches a watcher before its reply to a read that sees another session's change", async () => {
    const watcher = await RawClient.open(port);
    const writer = await RawClient.open(port);
    try {
      await writer.call(OpCode.create, create('/seen'));
      await watcher.call(OpCode.getChildren, pathWatch('/seen', true));
      // Fire the write and, without waiting, a read from the watcher; whenever the read shows the child,
      // the child event must already be in front of it.
      const w = writer.send(OpCode.create, create('/seen/kid'));
      const readXids: number[] = [];
      for (let i = 0; i < 20; i++) readXids.push(watcher.send(OpCode.getChildren, pathWatch('/seen')));
      await writer.reply(w);
      readXids.push(watcher.send(OpCode.getChildren, pathWatch('/seen'))); // surely after the write
      for (const x of readXids) await watcher.reply(x);
      const eventAt = watcher.received.findIndex((m) => m.kind === 'event');
      let sawKid = 0;
      for (const [at, m] of watcher.received.entries()) {
        if (m.kind !== 'reply' || !readXids.includes(m.header.xid)) continue;
        const kids = new JuteReader(m.body).vector((x) => x.string());
        if (!kids?.includes('kid')) continue;
        sawKid++;
        expect(eventAt).toBeGreaterThanOrEqual(0);
        expect(eventAt).toBeLessThan(at);
      }
      expect(sawKid).toBeGreaterThan(0);
      expect(watcher.events().map((e) => [e.type, e.path])).toEqual([[EventType.NodeChildrenChanged, '/seen']]);
    } finally {
      watcher.close();
      writer.close();
    }
  });

  it('keeps per-session FIFO with many pipelined writes and reads', async () => {
    const c = await RawClient.open(port);
    try {
      await c.call(OpCode.create, create('/fifo'));
      const xids: number[] = [];
      for (let i = 0; i < 300; i++) {
        xids.push(c.send(OpCode.setData, (w) => SetDataRequestCodec.write(w, { path: '/fifo', data: Buffer.from(String(i)), version: -1 })));
        xids.push(c.send(OpCode.getData, pathWatch('/fifo')));
      }
      await c.reply(xids[xids.length - 1]!, 20_000);
      const replies = c.received.filter((m) => m.kind === 'reply' && xids.includes(m.header.xid));
      expect(replies.map((m) => m.header.xid)).toEqual(xids);
      for (let i = 0; i < 300; i++) {
        const read = replies[2 * i + 1]!;
        if (read.kind !== 'reply') throw new Error('not a reply');
        const v = decode(GetDataResponseCodec, read.body);
        expect(v.data?.toString()).toBe(String(i)); // the read sees this session's write just before it
      }
    } finally {
      c.close();
    }
  });
});

describe('sessions', () => {
  it('closeSession replies, closes the connection and removes the ephemerals at once', async () => {
    const owner = await RawClient.open(port);
    const observer = await RawClient.open(port);
    try {
      await owner.call(OpCode.create, create('/eph-close', null, 1));
      await observer.call(OpCode.exists, pathWatch('/eph-close', true));
      const bye = await owner.call(OpCode.closeSession);
      expect(bye.header.err).toBe(0);
      await owner.until(() => owner.closed);
      await observer.until(() => observer.events().length > 0);
      expect(observer.events()).toEqual([{ type: EventType.NodeDeleted, state: 3, path: '/eph-close' }]);
      expect((await observer.call(OpCode.exists, pathWatch('/eph-close'))).header.err).toBe(ErrorCode.NONODE);
      // The closed session cannot be resumed.
      const again = await RawClient.open(port, { sessionId: owner.connect!.sessionId, passwd: owner.connect!.passwd! });
      expect(again.connect).toMatchObject({ timeOut: 0, sessionId: 0n });
      await again.until(() => again.closed);
    } finally {
      observer.close();
    }
  });

  it('reconnecting with session id and password keeps the session; the old connection is closed', async () => {
    const first = await RawClient.open(port, { timeout: 4000 });
    await first.call(OpCode.create, create('/eph-keep', null, 1));
    const second = await RawClient.open(port, { timeout: 4000, sessionId: first.connect!.sessionId, passwd: first.connect!.passwd! });
    try {
      expect(second.connect).toMatchObject({ sessionId: first.connect!.sessionId, timeOut: 4000 });
      expect(second.connect!.passwd).toEqual(first.connect!.passwd);
      await first.until(() => first.closed);
      const eph = await second.call(OpCode.getEphemerals, (w) => w.string('/'));
      expect(decode(GetEphemeralsResponseCodec, eph.body).ephemerals).toContain('/eph-keep');
    } finally {
      second.close();
    }
  });

  it('a wrong password gets timeout 0 / session 0 and is closed; node-zookeeper-client reports an expired session', async () => {
    let owner = await RawClient.open(port);
    try {
      const bad = Buffer.from(owner.connect!.passwd!);
      bad[0] = bad[0]! ^ 0xff;
      const c = await RawClient.open(port, { sessionId: owner.connect!.sessionId, passwd: bad });
      expect(c.connect).toMatchObject({ protocolVersion: 0, timeOut: 0, sessionId: 0n });
      expect(c.connect!.passwd).toEqual(Buffer.alloc(16));
      await c.until(() => c.closed);
      // As in ZooKeeper, the attempt drops the owner's connection (before the password is checked),
      // but the session itself survives and the right password resumes it.
      await owner.until(() => owner.closed);
      owner = await RawClient.open(port, { sessionId: owner.connect!.sessionId, passwd: owner.connect!.passwd! });
      expect((await owner.call(OpCode.exists, pathWatch('/'))).header.err).toBe(0);

      const zk = zookeeper.createClient(`127.0.0.1:${port}`, {
        sessionTimeout: 10_000,
        retries: 0,
        // Resume the owner's session, with a wrong password.
        sessionId: Buffer.from(owner.connect!.sessionId.toString(16).padStart(16, '0'), 'hex'),
        sessionPassword: bad,
      });
      const state = await new Promise<string>((resolve) => {
        zk.on('state', (s) => {
          if (s === zookeeper.State.EXPIRED || s === zookeeper.State.SYNC_CONNECTED) resolve(String(s));
        });
        zk.connect();
      });
      zk.close();
      expect(state).toBe(String(zookeeper.State.EXPIRED));
    } finally {
      owner.close();
    }
  });
});

describe('session expiry', () => {
  // A server of its own: no other sessions expire in between, so zxids can be counted exactly.
  const QUIET_TICK = 200;
  let quiet: RunningServer;
  beforeAll(async () => {
    quiet = await startOurServer({ tickTime: QUIET_TICK });
  });
  afterAll(async () => {
    await quiet?.stop();
  });

  it('an expired session loses its ephemerals (one closeSession txn) and cannot reconnect', async () => {
    const owner = await RawClient.open(quiet.port, { timeout: 2 * QUIET_TICK });
    const observer = await RawClient.open(quiet.port);
    try {
      await owner.call(OpCode.create, create('/eph-exp-a', null, 1));
      await owner.call(OpCode.create, create('/eph-exp-b', null, 1));
      await observer.call(OpCode.exists, pathWatch('/eph-exp-a', true));
      await observer.call(OpCode.exists, pathWatch('/eph-exp-b', true));
      const before = (await observer.call(OpCode.exists, pathWatch('/'))).header.zxid;
      owner.socket.pause(); // stop pinging: a silent client
      const lost = Date.now();
      await observer.until(() => observer.events().length >= 2, 10_000);
      expect(Date.now() - lost).toBeGreaterThanOrEqual(2 * QUIET_TICK - 100);
      expect(observer.events().map((e) => e.path).sort()).toEqual(['/eph-exp-a', '/eph-exp-b']);
      const after = await observer.call(OpCode.exists, pathWatch('/'));
      expect(after.header.zxid).toBe(before + 1n); // both deletions in one txn
      await owner.until(() => owner.closed, 5000);
      const again = await RawClient.open(quiet.port, { sessionId: owner.connect!.sessionId, passwd: owner.connect!.passwd! });
      expect(again.connect).toMatchObject({ timeOut: 0, sessionId: 0n });
    } finally {
      owner.close();
      observer.close();
    }
  });

});

describe('limits and malformed input', () => {
  it('a frame larger than jute.maxbuffer closes only that connection', async () => {
    const bystander = await RawClient.open(port);
    const c = await RawClient.open(port);
    try {
      const head = Buffer.alloc(4);
      head.writeInt32BE(0xfffff + 1);
      c.socket.write(head);
      c.socket.write(Buffer.alloc(1024));
      await c.until(() => c.closed);
      expect((await bystander.call(OpCode.exists, pathWatch('/'))).header.err).toBe(0);
    } finally {
      bystander.close();
    }
  });

  it('a malformed request body gets MARSHALLINGERROR and the connection keeps working', async () => {
    const c = await RawClient.open(port);
    try {
      const bad = await c.call(OpCode.create, (w) => w.int(1000)); // a string length with no bytes after it
      expect(bad.header.err).toBe(ErrorCode.MARSHALLINGERROR);
      expect((await c.call(OpCode.exists, pathWatch('/'))).header.err).toBe(0);
    } finally {
      c.close();
    }
  });

  it('stops executing and reading the requests of a client that does not read its replies', async () => {
    const c = await RawClient.open(port);
    try {
      const big = Buffer.alloc(500_000, 7);
      expect((await c.call(OpCode.create, (w) => CreateRequestCodec.write(w, { path: '/big', data: big, acl: OPEN_ACL, flags: 0 }))).header.err).toBe(0);
      c.socket.pause(); // the client stops reading
      const n = 40;
      const xids: number[] = [];
      for (let i = 0; i < n; i++) xids.push(c.send(OpCode.getData, pathWatch('/big')));
      await sleep(500);
      const me = `/127.0.0.1:${c.socket.localPort}`;
      const line = (await fourLetterWord(port, 'cons')).split('\n').find((l) => l.includes(me));
      // Not reading (interest ops without the read bit 1) and requests still waiting:
      // only a few 500 KB replies were produced, not 40.
      const m = /\[(\d)\]\(queued=(\d+),recved=(\d+),sent=(\d+)/.exec(line ?? '');
      expect(m, line).not.toBeNull();
      expect(Number(m![1]) & 1).toBe(0);
      expect(Number(m![2])).toBeGreaterThan(0);
      expect(Number(m![4])).toBeLessThan(n);
      c.socket.resume();
      await c.reply(xids[n - 1]!, 20_000);
      const replies = c.received.filter((r) => r.kind === 'reply' && xids.includes(r.header.xid));
      expect(replies.map((r) => r.header.xid)).toEqual(xids);
      for (const r of replies) if (r.kind === 'reply') expect(decode(GetDataResponseCodec, r.body).data?.length).toBe(big.length);
    } finally {
      c.close();
    }
  });

  it('answers thousands of pipelined requests from one connection, in order', async () => {
    const c = await RawClient.open(port);
    try {
      await c.call(OpCode.create, create('/bp'));
      const n = 3000;
      let last = 0;
      for (let i = 0; i < n; i++) last = c.send(OpCode.exists, pathWatch('/bp'));
      await c.reply(last, 20_000);
      const replies = c.received.filter((m) => m.kind === 'reply');
      expect(replies.length).toBe(n + 1);
      expect(replies.map((m) => m.header.xid)).toEqual(replies.map((_, i) => i + 1));
    } finally {
      c.close();
    }
  });
});

describe('maxClientCnxns and the four-letter-word whitelist', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startOurServer({ config: { maxClientCnxns: '3', '4lw.commands.whitelist': 'ruok,stat' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('answers only whitelisted words (srvr always), with ZooKeeper refusal text otherwise', async () => {
    expect(await fourLetterWord(limited.port, 'ruok')).toBe('imok');
    expect(await fourLetterWord(limited.port, 'srvr')).toMatch(/^Zookeeper version: /);
    expect(await fourLetterWord(limited.port, 'mntr')).toBe('mntr is not executed because it is not in the whitelist.\n');
    expect(await fourLetterWord(limited.port, 'conf')).toBe('conf is not executed because it is not in the whitelist.\n');
  });

  it('refuses connections from one IP beyond maxClientCnxns', async () => {
    // Start once the earlier four-letter-word connections are gone (srvr counts only itself).
    await eventually(async () => (await fourLetterWord(limited.port, 'srvr')).includes('\nConnections: 1\n'));
    const open = await Promise.all([0, 1, 2].map(() => RawClient.open(limited.port)));
    try {
      for (const c of open) expect(c.connect?.sessionId).toBeGreaterThan(0n);
      const extra = await RawClient.open(limited.port, { handshake: false });
      await extra.until(() => extra.closed, 5000);
      open[0]!.close();
      await sleep(200);
      const again = await RawClient.open(limited.port);
      expect(again.connect?.sessionId).toBeGreaterThan(0n);
      again.close();
    } finally {
      open.forEach((c) => c.close());
    }
  });
});

describe('four-letter words', () => {
  it('ruok, isro, srvr, stat, cons, conf, mntr, envi, dirs', async () => {
    const zk = await RawClient.open(port);
    try {
      await zk.call(OpCode.create, create('/flw'));
      expect(await fourLetterWord(port, 'ruok')).toBe('imok');
      expect(await fourLetterWord(port, 'isro')).toBe('rw');
      const srvr = await fourLetterWord(port, 'srvr');
      expect(srvr).toMatch(
        /^Zookeeper version: 3\.8\.\d+[^\n]*, built on [^\n]+\nLatency min\/avg\/max: \d+\/\d+\.\d+\/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: 0\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$/,
      );
      const stat = await fourLetterWord(port, 'stat');
      expect(stat).toMatch(/\nClients:\n( \/127\.0\.0\.1:\d+\[[0-5]\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+\nLatency/);
      const cons = await fourLetterWord(port, 'cons');
      const sid = `0x${zk.connect!.sessionId.toString(16)}`;
      expect(cons).toContain(`,sid=${sid},lop=CREA,`);
      expect(cons.endsWith(')\n\n')).toBe(true);
      const conf = await fourLetterWord(port, 'conf');
      expect(conf).toContain(`clientPort=${port}\nsecureClientPort=-1\n`);
      expect(conf).toContain(`tickTime=${TICK}\nmaxClientCnxns=0\nminSessionTimeout=${2 * TICK}\nmaxSessionTimeout=${20 * TICK}\n`);
      const mntr = await fourLetterWord(port, 'mntr');
      expect(mntr).toMatch(/^zk_version\t3\.8\.\d+.*\nzk_server_state\tstandalone\n/);
      expect(mntr).toMatch(/\nzk_znode_count\t\d+\n/);
      expect(await fourLetterWord(port, 'envi')).toMatch(/^Environment:\nzookeeper\.version=3\.8/);
      expect(await fourLetterWord(port, 'dirs')).toMatch(/^datadir_size: \d+\nlogdir_size: \d+\n$/);
      expect(await fourLetterWord(port, 'crst')).toBe('Connection stats reset.\n');
      expect(await fourLetterWord(port, 'srst')).toBe('Server stats reset.\n');
    } finally {
      zk.close();
    }
  });

  it('wchs, wchc, wchp, dump', async () => {
    const zk = await RawClient.open(port);
    try {
      await zk.call(OpCode.create, create('/wch', null, 1));
      await zk.call(OpCode.getData, pathWatch('/wch', true));
      const sid = `0x${zk.connect!.sessionId.toString(16)}`;
      expect(await fourLetterWord(port, 'wchs')).toMatch(/^\d+ connections watching \d+ paths\nTotal watches:\d+\n$/);
      expect(await fourLetterWord(port, 'wchc')).toContain(`${sid}\n\t/wch\n`);
      expect(await fourLetterWord(port, 'wchp')).toContain(`/wch\n\t${sid}\n`);
      const dump = await fourLetterWord(port, 'dump');
      expect(dump).toMatch(/^SessionTracker dump:\nSession Sets \(\d+\)\/\(\d+\):\n/);
      expect(dump).toContain(`ephemeral nodes dump:\nSessions with Ephemerals`);
      expect(dump).toContain(`${sid}:\n\t/wch\n`);
    } finally {
      zk.close();
    }
  });

  it('four bytes that are no word are a frame length (a huge one closes the connection)', async () => {
    expect(await fourLetterWord(port, 'xxxx')).toBe('');
  });
});

describe('npm run server (ensemble/cli/server.ts)', () => {
  it('rejects a bad zoo.cfg with the key and line, and exits non-zero', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'our-zk-cfg-'));
    try {
      const cfg = path.join(dir, 'zoo.cfg');
      fs.writeFileSync(cfg, `dataDir=${dir}\ntickTime=fast\nclientPort=2181\n`);
      const r = spawnSync(process.execPath, [...TSX_LOADER, path.join(REPO_ROOT, 'ensemble/cli/server.ts'), cfg], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${cfg}:2: tickTime: 'fast' is not an integer`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs its address once on start and exits 0 on SIGTERM', async () => {
    const s = await startOurServer();
    await s.stop({ keepDir: false });
    expect(s.output()).toContain(`listening on 127.0.0.1:${s.port}`);
    expect(s.proc.exitCode).toBe(0);
  });
});
