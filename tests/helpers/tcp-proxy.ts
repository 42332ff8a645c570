/**
 * A fault-injecting TCP proxy for partition tests: listens on a free loopback port and forwards to a target.
 *
 *   pass      — bytes flow both ways.
 *   blackhole — like a network partition: connections stay open but every byte is discarded, and new connections
 *               are accepted and never reach the target. On `pass` again, the connections that lost bytes are
 *               reset (a framed stream with a hole in it is garbage; a real TCP stream would have timed out).
 *   drop      — every connection is reset now, and new ones are reset on arrival (a crashed or firewalled host).
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'drop';

interface Link {
  client: net.Socket;
  upstream: net.Socket | null;
  tainted: boolean;
}

export class TcpProxy {
  private mode: ProxyMode = 'pass';
  private readonly links = new Set<Link>();
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly targetPort: number,
    readonly targetHost: string,
  ) {}

  static async start(targetPort: number, opts: { port?: number; targetHost?: string } = {}): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (!addr || typeof addr !== 'object') throw new Error('proxy: no address');
    const proxy = new TcpProxy(server, addr.port, targetPort, opts.targetHost ?? '127.0.0.1');
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  get connectionCount(): number {
    return this.links.size;
  }

  setMode(mode: ProxyMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'drop') {
      for (const link of [...this.links]) this.close(link);
    } else if (mode === 'blackhole') {
      for (const link of this.links) link.tainted = true;
    } else if (previous !== 'pass') {
      for (const link of [...this.links]) if (link.tainted) this.close(link);
    }
  }

  async close(): Promise<void>;
  close(link: Link): void;
  close(link?: Link): Promise<void> | void {
    if (link) {
      this.links.delete(link);
      link.client.destroy();
      link.upstream?.destroy();
      return;
    }
    for (const l of [...this.links]) this.close(l);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.mode === 'drop') {
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, upstream: null, tainted: this.mode === 'blackhole' };
    this.links.add(link);
    client.on('close', () => this.close(link));
    if (link.tainted) {
      client.on('data', () => {}); // swallowed: the "network" loses it
      return;
    }
    const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
    link.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('close', () => this.close(link));
    client.on('data', (d) => {
      if (this.mode === 'pass' && !link.tainted) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (this.mode === 'pass' && !link.tainted) client.write(d);
    });
  }
}
