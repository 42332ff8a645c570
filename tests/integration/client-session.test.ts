/**
 * Session life of our client across broken connections: a TCP proxy between client and server lets a test drop,
 * refuse or freeze the connection while the server (Apache ZooKeeper, or ours) keeps the session.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';
import { freePort } from '../helpers/ports.ts';
import { CreateMode, ErrorCode, EventType, KeeperState, ZkClient, ZkError, type ClientState, type WatchedEvent } from '../../ensemble/client/index.ts';

const targets = [
  { name: 'Apache ZooKeeper', start: () => startApacheZk({ tickTime: 500 }), needs: apacheZkUnavailable },
  { name: 'our server', start: () => startOurServer({ tickTime: 500 }), needs: ourServerUnavailable },
];

/** A loopback TCP relay that can drop its connections, refuse new ones, or silently stop relaying. */
class Proxy {
  private readonly sockets = new Set<net.Socket>();
  refusing = false;
  frozen = false;
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<Proxy> {
    const port = await freePort();
    const server = net.createServer();
    const proxy = new Proxy(server, port);
    server.on('connection', (client) => proxy.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  private relay(client: net.Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (d) => {
        if (!this.frozen) to.write(d);
      });
      from.on('error', () => {});
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Client connections currently relayed. */
  get connections(): number {
    return this.sockets.size / 2;
  }

  drop(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function until(client: ZkClient, state: ClientState, timeoutMs = 8000): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state stayed ${client.state}, wanted ${state}`)), timeoutMs);
    const on = (s: ClientState): void => {
      if (s !== state) return;
      clearTimeout(timer);
      client.off('state', on);
      resolve();
    };
    client.on('state', on);
  });
}

async function rejection(p: Promise<unknown>): Promise<ZkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ZkError);
    return e as ZkError;
  }
  throw new Error('expected a rejection');
}

for (const target of targets) {
  const skip = skipReason(`client sessions against ${target.name}`, target.needs);
  describe.skipIf(skip !== null)(`client sessions against ${target.name}`, () => {
    let server: RunningServer;
    let direct: ZkClient;
    const cleanup: Array<() => Promise<void>> = [];
    let n = 0;
    const fresh = (): string => `/s${++n}`;

    async function proxied(opts: { sessionTimeout?: number; events?: WatchedEvent[] } = {}): Promise<{ proxy: Proxy; zk: ZkClient }> {
      const proxy = await Proxy.start(server.port);
      const zk = new ZkClient(proxy.address, {
        sessionTimeout: opts.sessionTimeout ?? 4000,
        defaultWatcher: opts.events ? (e) => opts.events!.push(e) : undefined,
      });
      cleanup.push(async () => {
        proxy.refusing = false;
        proxy.frozen = false;
        await zk.close();
        await proxy.stop();
      });
      await zk.connect();
      return { proxy, zk };
    }

    beforeAll(async () => {
      server = await target.start();
      direct = await ZkClient.connect(server.connectString, { sessionTimeout: 4000 });
    });
    afterEach(async () => {
      for (const c of cleanup.splice(0)) await c();
    });
    afterAll(async () => {
      await direct?.close();
      await server?.stop();
    });

    it('reconnects within the session timeout keeping session, ephemerals and watches', async () => {
      const events: WatchedEvent[] = [];
      const { proxy, zk } = await proxied({ events });
      const sessionId = zk.sessionId;
      const p = fresh();
      await zk.create(p, 'v1');
      await zk.create(`${p}-eph`, null, { mode: CreateMode.EPHEMERAL });
      const fired: WatchedEvent[] = [];
      await zk.getData(p, (e) => fired.push(e));

      proxy.refusing = true;
      proxy.drop();
      await until(zk, 'disconnected');
      // Changed while we were away: setWatches2 with our last zxid makes the server send the missed event.
      await direct.setData(p, 'v2');
      const waited = zk.getData(p);
      proxy.refusing = false;
      await until(zk, 'connected');

      expect(zk.sessionId).toBe(sessionId);
      expect((await waited).data?.toString()).toBe('v2');
      expect(fired).toEqual([{ type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: p }]);
      expect((await direct.exists(`${p}-eph`))?.ephemeralOwner).toBe(sessionId);
      expect(events.map((e) => e.state)).toEqual([KeeperState.SyncConnected, KeeperState.Disconnected, KeeperState.SyncConnected]);
    });

    it('fails requests in flight with CONNECTIONLOSS when the connection breaks', async () => {
      const { proxy, zk } = await proxied();
      const inFlight = zk.getChildren('/');
      proxy.drop();
      expect((await rejection(inFlight)).code).toBe(ErrorCode.CONNECTIONLOSS);
      await until(zk, 'connected');
      expect(await zk.exists('/')).not.toBeNull();
    });

    it('re-sends auth after a reconnect', async () => {
      const { proxy, zk } = await proxied();
      await zk.addAuth('digest', 'bob:pw');
      proxy.drop();
      await until(zk, 'disconnected');
      await until(zk, 'connected');
      expect(await zk.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'bob' });
    });

    it('fails over to another host of the connect string', async () => {
      const a = await Proxy.start(server.port);
      const b = await Proxy.start(server.port);
      const deadPort = await freePort();
      const zk = new ZkClient(`127.0.0.1:${deadPort},${a.address},${b.address}`, { sessionTimeout: 4000, connectTimeout: 1000 });
      cleanup.push(async () => {
        await zk.close();
        await a.stop();
        await b.stop();
      });
      await zk.connect();
      const sessionId = zk.sessionId;
      // Whichever proxy carries the session goes away; the client must move to the other.
      const [carrier, spare] = a.connections === 1 ? [a, b] : [b, a];
      expect(carrier.connections).toBe(1);
      carrier.refusing = true;
      carrier.drop();
      await until(zk, 'disconnected');
      const stat = await zk.exists('/');
      expect(spare.connections).toBe(1);
      expect(stat).not.toBeNull();
      expect(zk.sessionId).toBe(sessionId);
      expect(zk.state).toBe('connected');
    });

    it('reports expiry when the session died while disconnected', async () => {
      const events: WatchedEvent[] = [];
      const { proxy, zk } = await proxied({ events });
      const states: ClientState[] = [];
      zk.on('state', (s) => states.push(s));
      proxy.refusing = true;
      proxy.drop();
      await until(zk, 'disconnected');
      // End the session from elsewhere, as the server would after the timeout.
      const twin = await ZkClient.connect(server.connectString, { sessionTimeout: 4000, sessionId: zk.sessionId, sessionPassword: zk.sessionPassword });
      await twin.close();
      const pending = zk.exists('/');
      proxy.refusing = false;
      await until(zk, 'expired');
      expect((await rejection(pending)).code).toBe(ErrorCode.SESSIONEXPIRED);
      expect(states).toEqual(['disconnected', 'expired']);
      expect(events.at(-1)).toEqual({ type: EventType.None, state: KeeperState.Expired, path: '' });
      expect((await rejection(zk.exists('/'))).code).toBe(ErrorCode.SESSIONEXPIRED);
    });

    it('keeps an idle session alive with pings', async () => {
      const { zk } = await proxied({ sessionTimeout: 1000 });
      expect(zk.sessionTimeout).toBe(1000);
      const states: ClientState[] = [];
      zk.on('state', (s) => states.push(s));
      const p = fresh();
      await zk.create(p, null, { mode: CreateMode.EPHEMERAL });
      await new Promise((r) => setTimeout(r, 2500));
      expect(states).toEqual([]);
      expect((await direct.exists(p))?.ephemeralOwner).toBe(zk.sessionId);
    });

    it('notices a server that stopped answering and reconnects', async () => {
      const { proxy, zk } = await proxied({ sessionTimeout: 6000 });
      const sessionId = zk.sessionId;
      const started = Date.now();
      proxy.frozen = true;
      await until(zk, 'disconnected', 6000);
      const noticedAfter = Date.now() - started;
      expect(noticedAfter).toBeGreaterThanOrEqual(3000); // no earlier than 2/3 of the timeout minus a tick
      proxy.frozen = false;
      proxy.drop();
      await until(zk, 'connected');
      expect(zk.sessionId).toBe(sessionId);
    });
  });
}
