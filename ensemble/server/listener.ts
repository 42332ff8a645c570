/** The client port: a net.Server on clientPortAddress:clientPort that enforces maxClientCnxns per client IP and maxCnxns in total. */
import net from 'node:net';
import { normalizeIp } from './connection.ts';

export interface ListenerOptions {
  host: string | null;
  port: number;
  /** Per client IP; 0 = unlimited. */
  maxClientCnxns: number;
  /** In total; 0 = unlimited. */
  maxCnxns?: number;
  onConnection(socket: net.Socket): void;
  /** A connection refused by the per-IP limit (`total` false) or the total limit (`total` true). */
  onRejected?(ip: string, total: boolean): void;
}

export interface Listener {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export async function listen(opts: ListenerOptions): Promise<Listener> {
  const perIp = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const count = perIp.get(ip) ?? 0;
    const perIpFull = opts.maxClientCnxns > 0 && count >= opts.maxClientCnxns;
    const totalFull = (opts.maxCnxns ?? 0) > 0 && sockets.size >= opts.maxCnxns!;
    if (perIpFull || totalFull) {
      // NIOServerCnxnFactory: "Too many connections from /ip - max is N"; the socket is closed at once.
      opts.onRejected?.(ip, !perIpFull);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    perIp.set(ip, count + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
    opts.onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host ?? undefined }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {}); // accept errors (EMFILE...) must not crash the node
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
