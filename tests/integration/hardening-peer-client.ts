/**
 * For the hardening tests: one replicated node (server.1 of a three-server config whose other two never start),
 * and a client that authenticates to its quorum or election port as server.2 — possible for anyone on a loopback
 * ensemble without a secret, which is exactly what the tests exercise.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseZooCfg } from '../../ensemble/config.ts';
import { concatFrames, PeerFrameDecoder } from '../../ensemble/server/peers/framing.ts';
import { decodeHandshake, encodeHello, encodeProof, newNonce, proofOf } from '../../ensemble/server/peers/handshake.ts';
import type { Channel } from '../../ensemble/server/peers/types.ts';
import { prepareReplication } from '../../ensemble/server/replication/index.ts';
import { freePorts } from '../helpers/ports.ts';

/** Authenticates as `sid` to a peer port of server `targetSid` (empty secret); resolves once both proofs are exchanged. */
export function authenticatePeer(port: number, sid: number, targetSid: number, channel: Channel): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const decoder = new PeerFrameDecoder(128);
    let step = 0;
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed during the handshake')));
    s.on('connect', () => s.write(concatFrames([encodeHello(sid, channel, newNonce())])));
    s.on('data', (chunk) => {
      decoder.push(chunk);
      for (let f = decoder.next(); f && step < 2; f = decoder.next()) {
        const m = decodeHandshake(f);
        if (step === 0 && m.kind === 'hello') {
          s.write(concatFrames([encodeProof(proofOf(Buffer.alloc(0), m.nonce, sid, targetSid, channel), 'keep')]));
          step = 1;
        } else if (step === 1 && m.kind === 'proof') {
          step = 2;
          s.removeAllListeners('data');
          s.removeAllListeners('close');
          s.removeAllListeners('error');
          s.on('error', () => {});
          s.on('data', () => {});
          resolve(s);
        }
      }
    });
  });
}

export interface GhostTarget {
  logs: string[];
  authenticate(channel: Channel): Promise<net.Socket>;
  close(): Promise<void>;
}

/** server.1's replicator alone (no client port), with extra zoo.cfg lines. */
export async function startGhostTarget(extra: Record<string, string>): Promise<GhostTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hardening-peer-'));
  const p = await freePorts(6);
  const lines = {
    tickTime: '200', initLimit: '10', syncLimit: '5', dataDir: dir, clientPort: String(p[0]),
    'server.1': `127.0.0.1:${p[1]}:${p[2]}`, 'server.2': `127.0.0.1:${p[3]}:${p[4]}`, 'server.3': `127.0.0.1:${p[5]}:${p[0]! + 0}`,
    ...extra,
  };
  const config = parseZooCfg(Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n'));
  config.myid = 1;
  const logs: string[] = [];
  const r = await prepareReplication(config, { log: (m) => logs.push(m) });
  await r.replicator.start();
  return {
    logs,
    authenticate: (channel) => authenticatePeer(channel === 'quorum' ? p[1]! : p[2]!, 2, 1, channel),
    async close() {
      await r.replicator.close();
      await r.storage.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
