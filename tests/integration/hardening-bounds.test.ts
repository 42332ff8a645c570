/**
 * Every bound from zoo.cfg, through a real node on a real socket: outstanding requests per connection (excess is
 * not read: throttled, never buffered), connections in total, sessions, watches per session, and the peer message
 * size on the election port. Plus CVE-2024-23944: a recursive watch on / must not leak a child the session may
 * not read.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient, isZkError } from '../../ensemble/client/index.ts';
import { parseZooCfg } from '../../ensemble/config.ts';
import { AddWatchMode, ErrorCode, EventType, OpCode, SetDataRequestCodec } from '../../ensemble/jute/index.ts';
import { LocalReplicator } from '../../ensemble/server/local-replicator.ts';
import { startNode, type RunningNode } from '../../ensemble/server/node.ts';
import type { Replicator, WriteRequest } from '../../ensemble/server/replicator.ts';
import { DataTree } from '../../ensemble/tree/data-tree.ts';
import { freePort } from '../helpers/ports.ts';
import { RawClient } from './server-raw-client.ts';

const nodes: RunningNode[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function node(extra: string, opts: { replicator?: Replicator; logs?: string[] } = {}): Promise<RunningNode> {
  const port = await freePort();
  const config = parseZooCfg(`tickTime=500\ndataDir=/nonexistent\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n${extra}\n`);
  const tree = new DataTree();
  const replicator = opts.replicator ?? new LocalReplicator({ storage: null, lastZxid: 0n });
  const n = await startNode(config, { tree, replicator, log: (m) => opts.logs?.push(m) });
  nodes.push(n);
  return n;
}

/** Holds client writes until released, and counts how many the pipeline handed over. */
class GatedReplicator implements Replicator {
  readonly inner = new LocalReplicator({ storage: null, lastZxid: 0n });
  held: WriteRequest[] = [];
  received = 0;
  holding = false;
  get state() {
    return this.inner.state;
  }
  submit(req: WriteRequest): boolean {
    if (!this.holding || req.op.type === 'createSession' || req.op.type === 'closeSession') return this.inner.submit(req);
    this.received++;
    this.held.push(req);
    return true;
  }
  release(): void {
    for (const r of this.held.splice(0)) this.inner.submit(r);
  }
  onCommit: Replicator['onCommit'] = (h) => this.inner.onCommit(h);
  onStateChange: Replicator['onStateChange'] = (h) => this.inner.onStateChange(h);
  sync = () => this.inner.sync();
  close = () => this.inner.close();
}

const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

describe('bounds from zoo.cfg', () => {
  it('maxOutstandingPerConnection: requests beyond it are not read until earlier ones are answered', async () => {
    const gate = new GatedReplicator();
    const n = await node('maxOutstandingPerConnection=5', { replicator: gate });
    const setup = await ZkClient.connect(`127.0.0.1:${n.port}`);
    cleanups.push(() => setup.close());
    await setup.create('/o', '');
    gate.holding = true;
    const c = await RawClient.open(n.port);
    cleanups.push(() => c.close());
    for (let i = 0; i < 40; i++) c.send(OpCode.setData, (w) => SetDataRequestCodec.write(w, { path: '/o', data: Buffer.from(String(i)), version: -1 }));
    await settle();
    expect(gate.received).toBe(5);
    let rounds = 0;
    while (gate.received < 40 && rounds++ < 20) {
      gate.release();
      await settle(50);
      expect(gate.received).toBeLessThanOrEqual(5 * (rounds + 1));
    }
    gate.release();
    await c.until(() => c.received.filter((m) => m.kind === 'reply').length === 40, 5000);
    expect(c.received.every((m) => m.kind !== 'reply' || m.header.err === 0)).toBe(true);
  });

  it('maxCnxns: a connection over the total is closed at once; one below it is served', async () => {
    const logs: string[] = [];
    const n = await node('maxCnxns=3\nmaxClientCnxns=0', { logs });
    const open = await Promise.all([0, 1, 2].map(() => RawClient.open(n.port)));
    cleanups.push(() => open.forEach((c) => c.close()));
    expect(open.every((c) => c.connect !== undefined)).toBe(true);
    const fourth = net.connect({ host: '127.0.0.1', port: n.port });
    fourth.on('error', () => {});
    await new Promise<void>((resolve) => fourth.on('close', () => resolve()));
    expect(logs.join('\n')).toMatch(/Too many connections in total \(maxCnxns 3\)/);
    open[0]!.close();
    await settle();
    const again = await RawClient.open(n.port);
    cleanups.push(() => again.close());
    expect(again.connect?.timeOut).toBeGreaterThan(0);
  });

  it('maxSessions: a new session over the limit is refused without a ConnectResponse', async () => {
    const logs: string[] = [];
    const n = await node('maxSessions=2', { logs });
    const a = await RawClient.open(n.port);
    const b = await RawClient.open(n.port);
    cleanups.push(() => (a.close(), b.close()));
    expect(a.connect && b.connect).toBeTruthy();
    const c = await RawClient.open(n.port);
    expect(c.connect).toBeUndefined();
    expect(c.closed).toBe(true);
    expect(logs.join('\n')).toMatch(/maxSessions=2/);
    // Closing a session makes room again.
    await a.call(OpCode.closeSession);
    const d = await RawClient.open(n.port);
    cleanups.push(() => d.close());
    expect(d.connect?.timeOut).toBeGreaterThan(0);
  });

  it('maxWatchesPerSession: one watch too many fails with QUOTAEXCEEDED; a consumed watch frees its slot', async () => {
    const n = await node('maxWatchesPerSession=3');
    const zk = await ZkClient.connect(`127.0.0.1:${n.port}`);
    cleanups.push(() => zk.close());
    for (const p of ['/a', '/b', '/c', '/d']) await zk.create(p, '');
    const fired: string[] = [];
    const watcher = (e: { path?: string | null }) => fired.push(e.path ?? '');
    for (const p of ['/a', '/b', '/c']) await zk.getData(p, watcher);
    await zk.getData('/a', watcher); // already watched: costs nothing
    const refused = await zk.getData('/d', watcher).then(() => null, (e: unknown) => e);
    expect(isZkError(refused, ErrorCode.QUOTAEXCEEDED)).toBe(true);
    const refusedAdd = await zk.addWatch('/d', AddWatchMode.PERSISTENT, watcher).then(() => null, (e: unknown) => e);
    expect(isZkError(refusedAdd, ErrorCode.QUOTAEXCEEDED)).toBe(true);
    await zk.getData('/d'); // no watch: unaffected
    await zk.setData('/a', 'x');
    for (let i = 0; i < 50 && !fired.includes('/a'); i++) await settle(10);
    expect(fired).toContain('/a');
    await zk.getData('/d', watcher);
  });

  it('election.maxMessageBytes: an authenticated peer frame over the limit closes the link; one under it does not', async () => {
    const { startGhostTarget } = await import('./hardening-peer-client.ts');
    const t = await startGhostTarget({ 'election.maxMessageBytes': '1024' });
    cleanups.push(() => t.close());
    const under = await t.authenticate('election');
    under.write(Buffer.concat([Buffer.from([0, 0, 3, 0xe8]), Buffer.alloc(1000)]));
    await settle(200);
    expect(under.destroyed || under.readableEnded).toBe(false);
    under.destroy();
    const over = await t.authenticate('election');
    const closed = new Promise<void>((resolve) => over.on('close', () => resolve()));
    over.write(Buffer.concat([Buffer.from([0, 0, 8, 0]), Buffer.alloc(2048)]));
    await closed;
    expect(t.logs.join('\n')).toMatch(/outside \[0, 1024\]/);
  });
});

describe('CVE-2024-23944: recursive watches respect READ', () => {
  it('a session with a recursive watch on / gets events for readable children only', async () => {
    const n = await node('');
    const owner = await ZkClient.connect(`127.0.0.1:${n.port}`);
    const watcher = await ZkClient.connect(`127.0.0.1:${n.port}`);
    cleanups.push(() => owner.close(), () => watcher.close());
    await owner.addAuth('digest', 'alice:secret');
    await owner.create('/open', '');
    await owner.create('/private', '', { acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] });
    const events: { type: number; path: string | null | undefined }[] = [];
    await watcher.addWatch('/', AddWatchMode.PERSISTENT_RECURSIVE, (e) => events.push({ type: e.type, path: e.path }));
    await owner.create('/private/child', '', { acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] });
    await owner.setData('/private', 'x');
    await owner.create('/open/child', '');
    for (let i = 0; i < 50 && !events.some((e) => e.path === '/open/child'); i++) await settle(10);
    expect(events).toContainEqual({ type: EventType.NodeCreated, path: '/open/child' });
    expect(events.filter((e) => e.path?.startsWith('/private'))).toEqual([]);
    // The watcher may not read them, and indeed cannot:
    const denied = await watcher.getData('/private').then(() => null, (e: unknown) => e);
    expect(isZkError(denied, ErrorCode.NOAUTH)).toBe(true);
  });
});
