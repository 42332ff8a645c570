/**
 * Fuzzing the quorum and election ports of a REAL three-node ensemble (separate processes): 10,000 malformed
 * connections on each kind of port before authentication, then 10,000 malformed frames on each after an HMAC
 * handshake as a configured (but never started) observer, sid 4 — the loopback ensemble has no secret, so anyone
 * on the machine can do exactly this. Meanwhile a client keeps writing. No process may crash or hang, every
 * malformed connection is closed by the server, and the ensemble keeps a leader and keeps taking writes.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import { CreateMode } from '../../ensemble/jute/index.ts';
import { concatFrames, lengthPrefix } from '../../ensemble/server/peers/framing.ts';
import { encodeHello, encodeProof, newNonce } from '../../ensemble/server/peers/handshake.ts';
import { authenticatePeer } from './hardening-peer-client.ts';
import type { Channel } from '../../ensemble/server/peers/types.ts';
import { encode as encodeZab } from '../../ensemble/zab/index.ts';
import { startEnsemble, type Ensemble } from '../helpers/ensemble.ts';
import { freePorts } from '../helpers/ports.ts';
import { seededRandom } from './durability-helpers.ts';

const PER_PORT_KIND = 10_000;
const CONCURRENCY = 32;
const GHOST = 4;

let ensemble: Ensemble;
const CHANNELS: Channel[] = ['quorum', 'election'];

beforeAll(async () => {
  const [gq, ge] = await freePorts(2);
  ensemble = await startEnsemble({ tickTime: 200, initLimit: 10, syncLimit: 5, config: { [`server.${GHOST}`]: `127.0.0.1:${gq}:${ge}:observer` } });
  await ensemble.waitForLeader();
}, 60_000);
afterAll(async () => {
  await ensemble?.stop();
});

type Rand = () => number;

function preAuthAttack(rand: Rand, targetSid: number, channel: Channel): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const hello = encodeHello(targetSid === 1 ? 2 : 1, channel, newNonce());
  switch (int(8)) {
    case 0:
      return Buffer.concat([lengthPrefix(-1 - int(2 ** 31 - 1)), junk(int(16))]);
    case 1:
      return Buffer.concat([lengthPrefix(129 + int(2 ** 31 - 130)), junk(int(64))]);
    case 2:
      return concatFrames([junk(int(129))]);
    case 3: {
      const at = int(hello.length);
      hello[at] = (hello[at]! + 1 + int(255)) & 0xff;
      return concatFrames([hello]);
    }
    case 4:
      return concatFrames([encodeHello(int(3) === 0 ? targetSid : 5 + int(1000), channel, newNonce())]);
    case 5:
      return Buffer.concat([concatFrames([hello]), concatFrames([encodeProof(junk(32), 'keep')])]);
    case 6:
      return junk(1 + int(300));
    default:
      return Buffer.concat([concatFrames([hello]), lengthPrefix(1000 + int(1_000_000)), junk(int(50))]);
  }
}

/** 'closed' when the server closed the connection (the only acceptable outcome), 'timeout' after 5 s. */
function sendAndWaitForClose(port: number, bytes: Buffer): Promise<'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => done('timeout'), 5000);
    let finished = false;
    function done(how: 'closed' | 'timeout'): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    }
    s.on('connect', () => {
      s.write(bytes);
      // Incomplete input must be closed on EOF: end our side (the server sees FIN, and stays able to answer).
      s.end();
    });
    s.on('data', () => {});
    s.on('error', () => done('closed'));
    s.on('close', () => done('closed'));
  });
}

function postAuthFrame(rand: Rand): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const kind = Buffer.alloc(4);
  switch (int(4)) {
    case 0:
      return junk(int(200));
    case 1:
      kind.writeInt32BE(1 + int(2));
      return Buffer.concat([kind, junk(int(120))]);
    case 2: {
      // A real vote with some bytes corrupted or cut off.
      const vote = encodeZab({ kind: 'notification', state: int(4), leader: int(6) - 1, zxid: BigInt(int(1000)), electionEpoch: BigInt(int(5)), peerEpoch: BigInt(int(5)) } as never);
      for (let i = int(3); i >= 0; i--) vote[int(vote.length)] = int(256);
      return rand() < 0.3 ? vote.subarray(0, int(vote.length)) : vote;
    }
    default: {
      // A quorum envelope (kind 2, session, seq, code) over a random body.
      const head = Buffer.alloc(4 + 8 + 8 + 4);
      head.writeInt32BE(2, 0);
      head.writeBigInt64BE(BigInt(int(1000)), 4);
      head.writeBigInt64BE(BigInt(int(1000)), 12);
      head.writeInt32BE(int(40) - 5, 20);
      return Buffer.concat([head, junk(int(150))]);
    }
  }
}

describe('fuzzing the quorum and election ports of a real ensemble', () => {
  it(`closes ${PER_PORT_KIND} malformed connections per port kind and ${PER_PORT_KIND} malformed authenticated frames per channel; the ensemble keeps a leader and takes writes`, { timeout: 120_000 }, async () => {
    const rand = seededRandom(0x5eed);
    const writer = await ZkClient.connect(ensemble.connectString, { sessionTimeout: 10_000 });
    await writer.create('/fuzz', '');
    let writes = 0;
    let writeErrors = 0;
    let writing = true;
    const writeLoop = (async () => {
      while (writing) {
        try {
          await writer.create('/fuzz/w-', '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
          writes++;
        } catch {
          writeErrors++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();

    const startedAt = Date.now();
    const outcomes = { closed: 0, timeout: 0 };
    const jobs = CHANNELS.flatMap((ch) => Array.from({ length: PER_PORT_KIND }, (_, i) => ({ ch, node: ensemble.nodes[i % 3]! })));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const { ch, node } = jobs[next++]!;
        const ports = portsOf(node.sid);
        outcomes[await sendAndWaitForClose(ch === 'quorum' ? ports.quorum : ports.election, preAuthAttack(rand, node.sid, ch))]++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(outcomes).toEqual({ closed: 2 * PER_PORT_KIND, timeout: 0 });
    console.log(`fuzz: pre-auth part done after ${Date.now() - startedAt} ms`);
    const writesAfterPreAuth = writes;

    // Authenticated garbage: 100 connections × 100 frames per channel, to every node.
    let frames = 0;
    for (const ch of CHANNELS) {
      for (let c = 0; c < 100; c++) {
        const node = ensemble.nodes[c % 3]!;
        const ports = portsOf(node.sid);
        const s = await authenticatePeer(ch === 'quorum' ? ports.quorum : ports.election, GHOST, node.sid, ch);
        s.write(concatFrames(Array.from({ length: 100 }, () => postAuthFrame(rand))));
        frames += 100;
        await new Promise<void>((resolve) => s.end(resolve));
        s.destroy();
      }
    }
    expect(frames).toBe(2 * PER_PORT_KIND);

    // Every process is alive, one leads, two follow, and writes go on.
    await new Promise((r) => setTimeout(r, 500));
    for (const n of ensemble.nodes) expect(n.server?.proc.exitCode ?? null, `node ${n.sid} exited:\n${n.output().slice(-2000)}`).toBeNull();
    await ensemble.waitForLeader({ timeoutMs: 10_000 });
    const before = writes;
    await new Promise((r) => setTimeout(r, 500));
    writing = false;
    await writeLoop;
    console.log(`fuzz: ${writes} writes during the storm (${writesAfterPreAuth} by the end of the pre-auth part), ${writeErrors} failed`);
    expect(writesAfterPreAuth).toBeGreaterThan(20);
    expect(writes).toBeGreaterThan(before);
    const check = await ZkClient.connect(ensemble.connectString, { sessionTimeout: 10_000 });
    await check.create('/fuzz/after', 'ok');
    expect((await check.getChildren('/fuzz')).length).toBe(writes + 1);
    await check.close();
    await writer.close();
    const logs = ensemble.nodes.map((n) => n.output()).join('\n');
    expect(logs).not.toMatch(/fatal:|uncaught|unhandled/i);
    // The authenticated garbage really reached the ZAB decoder (and was dropped there).
    expect(logs).toMatch(/dropping a malformed message from sid 4/);
  });
});

/** A node's real quorum and election ports, from its zoo.cfg. */
function portsOf(sid: number): { quorum: number; election: number } {
  const cfg = fs.readFileSync(`${ensemble.node(sid).dir}/zoo.cfg`, 'utf8');
  const m = new RegExp(`server\\.${sid}=127\\.0\\.0\\.1:(\\d+):(\\d+)`).exec(cfg)!;
  return { quorum: Number(m[1]), election: Number(m[2]) };
}
