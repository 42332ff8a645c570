/** Shared vocabulary of the peer network: channels, peer addresses, options and their defaults. */

/** ZooKeeper keeps two links between servers: the quorum port (ZAB traffic) and the election port (votes). */
export type Channel = 'quorum' | 'election';
export const CHANNELS: readonly Channel[] = ['quorum', 'election'];

/** The byte a channel is named by inside the handshake (and so inside the HMAC). */
export const CHANNEL_CODE: Readonly<Record<Channel, number>> = { quorum: 1, election: 2 };

/** One `server.N=host:quorumPort:electionPort[:observer]` line, kept independent of config.ts. */
export interface PeerAddress {
  sid: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  observer: boolean;
}

export function portOf(peer: PeerAddress, channel: Channel): number {
  return channel === 'quorum' ? peer.quorumPort : peer.electionPort;
}

export interface PerChannel<T> {
  quorum: T;
  election: T;
}

export interface PeerNetworkOptions {
  /** My server id: one of `servers`. */
  sid: number;
  servers: readonly PeerAddress[];
  /** Shared secret for the HMAC handshake. null/undefined is allowed only when every host is loopback. */
  secret?: Buffer | null;
  /** Largest payload accepted or sent per channel (a SNAP can be big; a vote is tiny). */
  maxMessageBytes?: Partial<PerChannel<number>>;
  /** Per peer and channel: unsent messages kept before the oldest are dropped. */
  maxQueuedMessages?: number;
  /** Per peer and channel: unsent bytes kept before the oldest messages are dropped. */
  maxQueuedBytes?: Partial<PerChannel<number>>;
  /** A connection that has not authenticated within this is closed. */
  handshakeTimeoutMs?: number;
  /** An outgoing TCP connect that takes longer than this is abandoned. */
  connectTimeoutMs?: number;
  /** Reconnect delay: starts at initialMs, doubles per failure, capped at maxMs. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Incoming connections still in the handshake (both ports together); more are closed on arrival. */
  maxPendingHandshakes?: number;
  log?: (msg: string) => void;
}

export const DEFAULTS = {
  maxMessageBytes: { quorum: 64 * 1024 * 1024, election: 64 * 1024 } as PerChannel<number>,
  maxQueuedMessages: 10_000,
  maxQueuedBytes: { quorum: 128 * 1024 * 1024, election: 4 * 1024 * 1024 } as PerChannel<number>,
  handshakeTimeoutMs: 5000,
  connectTimeoutMs: 3000,
  backoffInitialMs: 50,
  backoffMaxMs: 1000,
  maxPendingHandshakes: 64,
} as const;

/** Counters for one peer and channel (what `stats()` returns). */
export interface LinkStats {
  up: boolean;
  /** Messages waiting to be written. */
  queued: number;
  queuedBytes: number;
  /** Messages dropped because the queue was full (oldest first). */
  dropped: number;
  messagesSent: number;
  messagesReceived: number;
  /** socket.write calls: batching makes this much smaller than messagesSent. */
  socketWrites: number;
  /** Connections to this peer on this channel that completed the handshake. */
  connections: number;
  /** Who dialed the connection in use (always the higher sid), or null when down. */
  dialedBy: number | null;
}

export class PeerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerConfigError';
  }
}
