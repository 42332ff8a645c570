/**
 * The authentication handshake that opens every peer connection, as pure encode/decode/prove functions.
 *
 *   dialer   → acceptor  HELLO  (dialer sid, channel, dialer nonce)
 *   acceptor → dialer    HELLO  (acceptor sid, channel, acceptor nonce)
 *   dialer   → acceptor  PROOF  HMAC(secret, acceptor nonce || dialer sid || acceptor sid || channel)
 *   acceptor → dialer    PROOF  HMAC(secret, dialer nonce || acceptor sid || dialer sid || channel), verdict
 *
 * The acceptor proves itself only after the dialer has, so a stranger can never obtain a proof: otherwise
 * it could ask server X for HMAC(nonce_of_A || X || A) by dialing X as "A" with A's nonce, and replay it
 * to A as X. The verdict tells an authenticated dialer whether the connection is kept or whether, being
 * the lower sid, it must wait for the acceptor to dial back (ZooKeeper's duplicate-connection rule).
 */
import crypto from 'node:crypto';
import { CHANNEL_CODE, type Channel } from './types.ts';

const MAGIC = 0x5a4b504e; // "ZKPN"
const VERSION = 1;
export const NONCE_BYTES = 32;
const MAC_BYTES = 32;
/** Big enough for any handshake frame, small enough that a stranger cannot make us buffer much. */
export const MAX_HANDSHAKE_FRAME = 128;

const enum Kind {
  Hello = 1,
  Proof = 2,
}

export type Verdict = 'keep' | 'redial';

export interface Hello {
  kind: 'hello';
  sid: number;
  channel: Channel;
  nonce: Buffer;
}

export interface Proof {
  kind: 'proof';
  mac: Buffer;
  verdict: Verdict;
}

export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export function newNonce(): Buffer {
  return crypto.randomBytes(NONCE_BYTES);
}

export function encodeHello(sid: number, channel: Channel, nonce: Buffer): Buffer {
  const out = Buffer.alloc(7 + 8 + NONCE_BYTES);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt8(Kind.Hello, 5);
  out.writeUInt8(CHANNEL_CODE[channel], 6);
  out.writeBigInt64BE(BigInt(sid), 7);
  nonce.copy(out, 15);
  return out;
}

export function encodeProof(mac: Buffer, verdict: Verdict): Buffer {
  const out = Buffer.alloc(7 + MAC_BYTES);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt8(Kind.Proof, 5);
  out.writeUInt8(verdict === 'keep' ? 1 : 2, 6);
  mac.copy(out, 7);
  return out;
}

export function decodeHandshake(frame: Buffer): Hello | Proof {
  if (frame.length < 7) throw new HandshakeError(`handshake frame of ${frame.length} bytes is too short`);
  if (frame.readUInt32BE(0) !== MAGIC) throw new HandshakeError('not a peer handshake (bad magic)');
  const version = frame.readUInt8(4);
  if (version !== VERSION) throw new HandshakeError(`unsupported handshake version ${version}`);
  const kind = frame.readUInt8(5);
  if (kind === Kind.Hello) {
    if (frame.length !== 15 + NONCE_BYTES) throw new HandshakeError(`HELLO of ${frame.length} bytes`);
    const code = frame.readUInt8(6);
    const channel = code === CHANNEL_CODE.quorum ? 'quorum' : code === CHANNEL_CODE.election ? 'election' : null;
    if (!channel) throw new HandshakeError(`unknown channel ${code}`);
    const sid = frame.readBigInt64BE(7);
    if (sid < 0n || sid > BigInt(Number.MAX_SAFE_INTEGER)) throw new HandshakeError(`sid ${sid} out of range`);
    return { kind: 'hello', sid: Number(sid), channel, nonce: Buffer.from(frame.subarray(15)) };
  }
  if (kind === Kind.Proof) {
    if (frame.length !== 7 + MAC_BYTES) throw new HandshakeError(`PROOF of ${frame.length} bytes`);
    const v = frame.readUInt8(6);
    if (v !== 1 && v !== 2) throw new HandshakeError(`unknown verdict ${v}`);
    return { kind: 'proof', verdict: v === 1 ? 'keep' : 'redial', mac: Buffer.from(frame.subarray(7)) };
  }
  throw new HandshakeError(`unknown handshake frame kind ${kind}`);
}

/** HMAC(secret, nonce_other || sid_self || sid_other || channel). */
export function proofOf(secret: Buffer, otherNonce: Buffer, selfSid: number, otherSid: number, channel: Channel): Buffer {
  const sids = Buffer.alloc(17);
  sids.writeBigInt64BE(BigInt(selfSid), 0);
  sids.writeBigInt64BE(BigInt(otherSid), 8);
  sids.writeUInt8(CHANNEL_CODE[channel], 16);
  return crypto.createHmac('sha256', secret).update(otherNonce).update(sids).digest();
}

export function proofMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && crypto.timingSafeEqual(expected, received);
}
