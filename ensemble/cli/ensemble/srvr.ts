/** Asks a node for `srvr` and extracts its Mode line, as zkServer.sh status does. */
import net from 'node:net';

/** The `Mode:` value (leader, follower, observer, standalone...), or null when the node does not answer. */
export function queryMode(host: string, port: number, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('connect', () => s.write('srvr'));
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^Mode: (\S+)/m.exec(Buffer.concat(chunks).toString('utf8'));
      resolve(m ? m[1]! : null);
    });
  });
}
