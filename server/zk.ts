// One ZooKeeper session per process for route handlers, kept on globalThis so Next.js dev hot reloads
// reuse it. It authenticates as the config center's digest identity. A session that expired (or never
// came up) is replaced on the next call instead of failing every request until a restart.

import { ZkClient } from '../ensemble/client/index.ts';
import { dataDir, getDb } from './db.ts';
import { ConfigService, identityAuth, loadOrCreateZkIdentity, UnavailableError, type ZkIdentity } from './configs/index.ts';

export const DEFAULT_ZK_CONNECT = '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183';

export function zkConnectString(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZK_CONNECT?.trim() || DEFAULT_ZK_CONNECT;
}

export function zkIdentity(env: NodeJS.ProcessEnv = process.env): ZkIdentity {
  return loadOrCreateZkIdentity(dataDir(), env);
}

const shared = globalThis as typeof globalThis & { __configCenterZk?: Promise<ZkClient> };

const DEAD_STATES = new Set(['expired', 'closed', 'authfailed']);

/** A request should not hang for a whole session timeout while no node answers: it gets a 503 sooner. */
const CONNECT_WAIT_MS = 5_000;

async function open(): Promise<ZkClient> {
  const client = new ZkClient(zkConnectString(), { sessionTimeout: 15_000, auth: identityAuth(zkIdentity()) });
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no node answered within ${CONNECT_WAIT_MS} ms`)), CONNECT_WAIT_MS);
  });
  try {
    await Promise.race([client.connect(), gaveUp]);
    return client;
  } catch (error) {
    void client.close().catch(() => {});
    throw new UnavailableError(`the ensemble at ${zkConnectString()} cannot be reached: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export async function getZk(): Promise<ZkClient> {
  const current = shared.__configCenterZk;
  if (current !== undefined) {
    const client = await current.catch(() => null);
    if (client !== null && !DEAD_STATES.has(client.state)) return client;
    if (shared.__configCenterZk === current) shared.__configCenterZk = undefined;
  }
  if (shared.__configCenterZk === undefined) {
    const opening = open();
    shared.__configCenterZk = opening;
    opening.catch(() => {
      if (shared.__configCenterZk === opening) shared.__configCenterZk = undefined;
    });
  }
  return shared.__configCenterZk!;
}

/** The config service over the shared session and database. */
export async function getConfigService(): Promise<ConfigService> {
  const [zk, db] = await Promise.all([getZk(), getDb()]);
  return new ConfigService(zk, db, zkIdentity());
}
