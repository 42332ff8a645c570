/** Session expiry on demand, for tests of what clients and recipes do after it. */
import { ZkClient } from '../../ensemble/client/index.ts';

/**
 * Ends `zk`'s session from a twin connection, as the server would after the timeout. The twin's connect moves the
 * session away from `zk`, which may move it back before the twin's close lands; repeat until `zk` sees it expire.
 */
export async function expireSession(connectString: string, zk: ZkClient): Promise<void> {
  const expired = (): boolean => zk.state === 'expired';
  for (let attempt = 0; attempt < 10 && !expired(); attempt++) {
    const twin = await ZkClient.connect(connectString, { sessionTimeout: zk.sessionTimeout, sessionId: zk.sessionId, sessionPassword: zk.sessionPassword }).catch(() => null);
    await twin?.close();
    const deadline = Date.now() + 2000;
    while (!expired() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  if (!expired()) throw new Error('could not expire the session');
}
