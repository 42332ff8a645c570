/** Pure pieces of the peer network: framing, handshake codec and proof, outbox, secret rules. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadFrameError, concatFrames, PeerFrameDecoder } from '../../ensemble/server/peers/framing.ts';
import { decodeHandshake, encodeHello, encodeProof, HandshakeError, newNonce, proofOf } from '../../ensemble/server/peers/handshake.ts';
import { Outbox } from '../../ensemble/server/peers/outbox.ts';
import { checkPeerSecurity, generatePeerSecretText, isLoopbackHost, readPeerSecretFile } from '../../ensemble/server/peers/secret.ts';
import { PeerConfigError } from '../../ensemble/server/peers/types.ts';

describe('PeerFrameDecoder', () => {
  it('reassembles frames split at every byte boundary', () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 9), Buffer.from('last')];
    const wire = concatFrames(payloads);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new PeerFrameDecoder(1000);
      const out: Buffer[] = [];
      for (const part of [wire.subarray(0, cut), wire.subarray(cut)]) {
        d.push(part);
        for (let f = d.next(); f; f = d.next()) out.push(Buffer.from(f));
      }
      expect(out).toEqual(payloads);
    }
  });

  it('reassembles a frame fed one byte at a time', () => {
    const wire = concatFrames([Buffer.from('hello world')]);
    const d = new PeerFrameDecoder(100);
    let got: Buffer | null = null;
    for (const byte of wire) {
      d.push(Buffer.from([byte]));
      got = d.next() ?? got;
    }
    expect(got?.toString()).toBe('hello world');
  });

  it('rejects negative and oversize lengths, and the limit can be raised between frames', () => {
    const neg = new PeerFrameDecoder(10);
    neg.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(() => neg.next()).toThrow(BadFrameError);
    const d = new PeerFrameDecoder(10);
    d.push(concatFrames([Buffer.alloc(10), Buffer.alloc(11)]));
    expect(d.next()?.length).toBe(10);
    expect(() => d.next()).toThrow(/frame length 11/);
    d.maxFrame = 11;
    expect(d.next()?.length).toBe(11);
  });
});

describe('handshake codec', () => {
  it('round-trips HELLO and PROOF', () => {
    const nonce = newNonce();
    expect(decodeHandshake(encodeHello(200, 'election', nonce))).toEqual({ kind: 'hello', sid: 200, channel: 'election', nonce });
    const mac = crypto.randomBytes(32);
    expect(decodeHandshake(encodeProof(mac, 'redial'))).toEqual({ kind: 'proof', mac, verdict: 'redial' });
  });

  it('refuses every single-byte corruption of the header', () => {
    const hello = encodeHello(3, 'quorum', newNonce());
    for (let at = 0; at < 7; at++) {
      for (const delta of [1, 128]) {
        const bad = Buffer.from(hello);
        bad[at] = (bad[at]! + delta) & 0xff;
        // A corrupted channel byte may still name the other channel; every other corruption must throw.
        if (at === 6 && bad[6] === 2) continue;
        expect(() => decodeHandshake(bad), `byte ${at} + ${delta}`).toThrow(HandshakeError);
      }
    }
    expect(() => decodeHandshake(hello.subarray(0, hello.length - 1))).toThrow(HandshakeError);
    expect(() => decodeHandshake(Buffer.alloc(3))).toThrow(HandshakeError);
  });

  it('proof = HMAC-SHA256(secret, nonce_other || sid_self || sid_other || channel)', () => {
    const secret = crypto.randomBytes(32);
    const nonce = newNonce();
    const manual = crypto
      .createHmac('sha256', secret)
      .update(Buffer.concat([nonce, Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), Buffer.from([1])]))
      .digest();
    expect(proofOf(secret, nonce, 2, 1, 'quorum').equals(manual)).toBe(true);
    // Each input changes the proof.
    expect(proofOf(secret, nonce, 1, 2, 'quorum').equals(manual)).toBe(false);
    expect(proofOf(secret, nonce, 2, 1, 'election').equals(manual)).toBe(false);
    expect(proofOf(crypto.randomBytes(32), nonce, 2, 1, 'quorum').equals(manual)).toBe(false);
  });
});

describe('Outbox', () => {
  it('drops the oldest by count and by bytes, keeping the newest', () => {
    const byCount = new Outbox(3, 1000);
    const dropped = [1, 2, 3, 4, 5].map((i) => byCount.push(Buffer.from([i])));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(byCount.takeBatch(1000).map((b) => b[0])).toEqual([3, 4, 5]);
    const byBytes = new Outbox(100, 10);
    byBytes.push(Buffer.alloc(6, 1));
    expect(byBytes.push(Buffer.alloc(6, 2))).toBe(1);
    expect(byBytes.byteLength).toBe(6);
    expect(byBytes.push(Buffer.alloc(50, 3))).toBe(1); // bigger than the bound: still kept alone
    expect(byBytes.length).toBe(1);
  });

  it('takes batches by byte budget, at least one message each', () => {
    const o = new Outbox(10_000, 1e9);
    for (let i = 0; i < 5000; i++) o.push(Buffer.alloc(10, i & 0xff));
    const first = o.takeBatch(100);
    expect(first.length).toBe(10);
    expect(o.takeBatch(1).length).toBe(1);
    expect(o.takeBatch(1e9).length).toBe(4989);
    expect(o.length).toBe(0);
    expect(o.byteLength).toBe(0);
  });
});

describe('peer secret rules', () => {
  it('recognises loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.255.0.9', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', '128.0.0.1', '0.0.0.0', '::', 'zk1', 'localhost.example.com', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('requires a secret of at least 16 bytes unless every host is loopback', () => {
    const loop = [{ sid: 1, host: '127.0.0.1', quorumPort: 1, electionPort: 2, observer: false }];
    const wide = [...loop, { sid: 2, host: '192.168.1.20', quorumPort: 1, electionPort: 2, observer: false }];
    expect(() => checkPeerSecurity(loop, null)).not.toThrow();
    expect(() => checkPeerSecurity(wide, null)).toThrow(PeerConfigError);
    expect(() => checkPeerSecurity(wide, Buffer.alloc(0))).toThrow(/server\.2=192\.168\.1\.20/);
    expect(() => checkPeerSecurity(wide, Buffer.alloc(15, 1))).toThrow(/at least 16/);
    expect(() => checkPeerSecurity(wide, Buffer.alloc(16, 1))).not.toThrow();
  });

  it('reads a secret file without its trailing newline', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peers-secret-'));
    try {
      const file = path.join(dir, 's');
      const text = generatePeerSecretText();
      expect(text).toMatch(/^[0-9a-f]{64}\n$/);
      fs.writeFileSync(file, text);
      expect(readPeerSecretFile(file).toString()).toBe(text.trim());
      fs.writeFileSync(file, ' \n');
      expect(() => readPeerSecretFile(file)).toThrow(/empty/);
      expect(() => readPeerSecretFile(path.join(dir, 'missing'))).toThrow(/cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
