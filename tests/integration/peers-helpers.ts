/** Three (or more) PeerNetworks in this process on loopback, with collected events. */
import crypto from 'node:crypto';
import { PeerNetwork, type Channel, type PeerAddress, type PeerNetworkOptions, type RejectedConnection } from '../../ensemble/server/peers/index.ts';
import { freePorts } from '../helpers/ports.ts';

export interface Received {
  from: number;
  channel: Channel;
  payload: Buffer;
}

export interface Member {
  sid: number;
  net: PeerNetwork;
  received: Received[];
  ups: string[];
  downs: string[];
  rejected: RejectedConnection[];
}

export async function addresses(n: number, host = '127.0.0.1'): Promise<PeerAddress[]> {
  const ports = await freePorts(2 * n);
  return Array.from({ length: n }, (_, i) => ({
    sid: i + 1,
    host,
    quorumPort: ports[2 * i]!,
    electionPort: ports[2 * i + 1]!,
    observer: false,
  }));
}

export const newSecret = (): Buffer => crypto.randomBytes(32);

export async function startMember(
  sid: number,
  servers: PeerAddress[],
  secret: Buffer | null,
  extra: Partial<PeerNetworkOptions> = {},
): Promise<Member> {
  const net = await PeerNetwork.start({ sid, servers, secret, ...extra });
  const m: Member = { sid, net, received: [], ups: [], downs: [], rejected: [] };
  net.on('message', (from, channel, payload) => m.received.push({ from, channel, payload }));
  net.on('up', (peer, channel) => m.ups.push(`${peer}/${channel}`));
  net.on('down', (peer, channel) => m.downs.push(`${peer}/${channel}`));
  net.on('rejected', (info) => m.rejected.push(info));
  return m;
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function allUp(members: Member[]): boolean {
  return members.every((m) => m.net.peerSids.every((p) => m.net.isUp(p, 'quorum') && m.net.isUp(p, 'election')));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
