export { PeerNetwork, type RejectedConnection } from './network.ts';
export { checkPeerSecurity, generatePeerSecretText, isLoopbackHost, readPeerSecretFile, MIN_SECRET_BYTES } from './secret.ts';
export {
  CHANNELS,
  DEFAULTS as PEER_DEFAULTS,
  PeerConfigError,
  type Channel,
  type LinkStats,
  type PeerAddress,
  type PeerNetworkOptions,
} from './types.ts';
