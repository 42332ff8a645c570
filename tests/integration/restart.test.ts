/**
 * Restart of a real node process on its data dir: the client port opens before the snapshot and log are loaded (as
 * ZooKeeper's does); until the node serves, four-letter words say so and a session request is refused by closing the
 * connection, never answered from a partly loaded tree. Recovery is stretched with the test-only slow-read disk fault.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import { JuteWriter } from '../../ensemble/jute/index.ts';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { startEnsemble, type Ensemble } from '../helpers/ensemble.ts';
import { fourLetterWord, waitForPort } from '../helpers/ports.ts';

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';
const SLOW_READ_MS = 2000;
const dirs: string[] = [];
const servers: RunningServer[] = [];
const ensembles: Ensemble[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop({ keepDir: true });
  for (const e of ensembles) await e.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** What a client sends first: a ConnectRequest frame for a new session. */
function connectRequestFrame(): Buffer {
  const body = new JuteWriter(64).int(0).long(0n).int(30_000).long(0n).buffer(Buffer.alloc(16)).bool(false).toBuffer();
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Sends a session request and returns every byte the server sent back before it closed the connection. */
function trySession(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('connection neither answered nor closed within 5 s'));
    }, 5000);
    s.on('connect', () => s.write(connectRequestFrame()));
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

async function writeNodes(connectString: string, count: number): Promise<Map<string, string>> {
  const c = await ZkClient.connect(connectString, { sessionTimeout: 10_000 });
  const written = new Map<string, string>();
  try {
    await c.create('/restart', null);
    for (let i = 0; i < count; i++) {
      const value = `value-${i}-${Math.random().toString(36).slice(2)}`;
      await c.create(`/restart/n${i}`, Buffer.from(value));
      written.set(`/restart/n${i}`, value);
    }
  } finally {
    await c.close();
  }
  return written;
}

async function readNodes(connectString: string, paths: Iterable<string>): Promise<Map<string, string>> {
  const c = await ZkClient.connect(connectString, { sessionTimeout: 10_000 });
  const read = new Map<string, string>();
  try {
    for (const p of paths) read.set(p, (await c.getData(p)).data?.toString() ?? '');
  } finally {
    await c.close();
  }
  return read;
}

describe('restart: client port during recovery', () => {
  it('standalone: answers ruok/srvr and refuses sessions while recovering, then serves every acknowledged write', { timeout: 60_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restart-test-'));
    dirs.push(dir);
    const first = await startOurServer({ dir });
    const written = await writeNodes(first.connectString, 30);
    first.kill('SIGKILL');
    await first.exited();

    const starting = startOurServer({ dir, port: first.port, env: { ZK_TEST_FAULTS: `slow-read-ms:${SLOW_READ_MS}` } });
    starting.catch(() => undefined);
    await waitForPort(first.port, '127.0.0.1', 30_000);
    const [ruok, srvr, sessionReply] = await Promise.all([fourLetterWord(first.port, 'ruok'), fourLetterWord(first.port, 'srvr'), trySession(first.port)]);
    const server = await starting;
    servers.push(server);

    expect(ruok).toBe('imok');
    expect(srvr).toBe(NOT_SERVING);
    // Closed without a ConnectResponse: the client goes elsewhere or retries, as with ZooKeeper's "not running".
    expect(sessionReply.length).toBe(0);
    expect(server.output()).toMatch(/refused 1 client connection\(s\) while recovering/);

    expect(await fourLetterWord(server.port, 'srvr')).toMatch(/Mode: standalone/);
    expect(await readNodes(server.connectString, written.keys())).toEqual(written);
  });

  it('ensemble: a restarted node holds its port while recovering and rejoins with every committed write', { timeout: 90_000 }, async () => {
    const e = await startEnsemble({ size: 3 });
    ensembles.push(e);
    await e.waitForLeader({ timeoutMs: 30_000 });
    const written = await writeNodes(e.connectString, 20);
    const node = e.nodes.find((n) => n.sid === 1)!;
    await node.kill();
    // Restart with a slow disk; restart() resolves only once it has recovered, so probe the port meanwhile.
    const restarting = node.restart({ env: { ZK_TEST_FAULTS: `slow-read-ms:${SLOW_READ_MS}` } });
    restarting.catch(() => undefined);
    await waitForPort(node.clientPort, '127.0.0.1', 30_000);
    const [srvr, sessionReply] = await Promise.all([fourLetterWord(node.clientPort, 'srvr'), trySession(node.clientPort)]);
    await restarting;

    expect(srvr).toBe(NOT_SERVING);
    expect(sessionReply.length).toBe(0);
    await e.waitForLeader({ timeoutMs: 30_000 });
    expect(await node.mode()).toMatch(/leader|follower/);
    expect(await readNodes(node.connectString, written.keys())).toEqual(written);
  });
});
