/** What applications import: live config subscription with a disk cache, and the coordination recipes. */
export * from './config/index.ts';
export { SessionKeeper, type ConnectionState, type SessionKeeperOptions } from './session-keeper.ts';
export * from './recipes/index.ts';
