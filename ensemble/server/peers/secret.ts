/**
 * Where the peer secret comes from and when running without one is acceptable: only when every server
 * is on a loopback address, so that nothing outside this machine can reach a peer port.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { PeerConfigError, type PeerAddress } from './types.ts';

/** Shorter secrets are refused: the HMAC is only as strong as the key. */
export const MIN_SECRET_BYTES = 16;

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = net.isIP(bare);
  if (family === 4) return loopback.check(bare, 'ipv4');
  if (family === 6) return loopback.check(bare, 'ipv6');
  return false; // a DNS name may resolve anywhere
}

/** Throws a PeerConfigError explaining what to fix when the secret is missing where it is required, or weak. */
export function checkPeerSecurity(servers: readonly PeerAddress[], secret: Buffer | null | undefined): void {
  if (secret && secret.length > 0) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new PeerConfigError(
        `the peer secret is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} random bytes (e.g. openssl rand -hex 32)`,
      );
    }
    return;
  }
  const exposed = servers.filter((s) => !isLoopbackHost(s.host));
  if (exposed.length > 0) {
    const list = exposed.map((s) => `server.${s.sid}=${s.host}`).join(', ');
    throw new PeerConfigError(
      `refusing to start the peer network without a shared secret: ${list} ` +
        `${exposed.length === 1 ? 'is' : 'are'} not a loopback address, so anyone who can reach the quorum or election ` +
        `port could join the ensemble. Set quorum.auth.secretFile in zoo.cfg to a file with at least ${MIN_SECRET_BYTES} ` +
        `random bytes, readable only by the server (chmod 600), identical on every server.`,
    );
  }
}

/** The file's bytes with surrounding whitespace removed (a text secret usually ends with a newline). */
export function readPeerSecretFile(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    throw new PeerConfigError(`cannot read the peer secret file ${file}: ${(e as Error).message}`);
  }
  const secret = Buffer.from(raw.toString('latin1').trim(), 'latin1');
  if (secret.length === 0) throw new PeerConfigError(`the peer secret file ${file} is empty`);
  return secret;
}

/** A fresh secret as file contents: 32 random bytes in hex, one line. */
export function generatePeerSecretText(): string {
  return `${crypto.randomBytes(32).toString('hex')}\n`;
}
