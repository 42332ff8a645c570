/**
 * Keeps one live ZooKeeper session for as long as it is wanted: connects (retrying while the ensemble is
 * unreachable), and when the session expires replaces the dead ZkClient with a new one. Whoever holds state
 * in ZooKeeper listens to 'connected' and restores it; `newSession` says the previous session's watches and
 * ephemerals are gone.
 */
import { EventEmitter } from 'node:events';
import { ZkClient, type ClientState } from '../ensemble/client/index.ts';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

export interface SessionKeeperOptions {
  connectString: string;
  sessionTimeoutMs?: number;
  auth?: { user: string; password: string };
}

export interface SessionKeeperEvents {
  state: [state: ConnectionState];
  /** After every (re)connection; `newSession` is true for the first connection of a session. */
  connected: [zk: ZkClient, info: { newSession: boolean }];
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;

export class SessionKeeper extends EventEmitter<SessionKeeperEvents> {
  private current: ZkClient | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private wakeRetry: (() => void) | null = null;
  state: ConnectionState = 'connecting';

  constructor(private readonly options: SessionKeeperOptions) {
    super();
  }

  /** The client of the current session (possibly still connecting), or null before the first attempt. */
  get zk(): ZkClient | null {
    return this.current;
  }

  get isConnected(): boolean {
    return this.state === 'connected' && this.current?.state === 'connected';
  }

  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const { auth } = this.options;
      const zk = new ZkClient(this.options.connectString, {
        sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
        ...(auth ? { auth: [{ scheme: 'digest', auth: `${auth.user}:${auth.password}` }] } : {}),
      });
      this.current = zk;
      let connectedOnce = false;
      const ended = new Promise<ClientState>((resolve) => {
        zk.on('state', (s) => {
          if (s === 'expired' || s === 'closed' || s === 'authfailed') {
            resolve(s);
            return;
          }
          if (!connectedOnce) return; // the first connection is announced once connect() (and auth) succeeded
          if (s === 'disconnected') this.setState('disconnected');
          if (s === 'connected') {
            this.setState('connected');
            this.emit('connected', zk, { newSession: false });
          }
        });
      });
      try {
        await zk.connect();
        if (this.closed) break;
        connectedOnce = true;
        this.setState('connected');
        this.emit('connected', zk, { newSession: true });
      } catch {
        // connect() gave up (and closed the client); the loop below tries again with a fresh one.
      }
      const end = await ended;
      if (this.closed) break;
      if (end === 'expired') {
        this.setState('expired');
        this.setState('connecting');
        continue;
      }
      this.setState('connecting');
      await this.pause(RETRY_MIN_MS + Math.floor(Math.random() * (RETRY_MAX_MS - RETRY_MIN_MS)));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    await this.current?.close();
    this.setState('closed');
  }
}
