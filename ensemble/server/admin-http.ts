/**
 * The admin HTTP endpoint (ZooKeeper's AdminServer, `admin.enableServer`): `GET /commands` lists the commands,
 * `GET /commands/<name>` answers one as JSON, `GET /metrics` is the Prometheus scrape. Read-only apart from the
 * stat resets. Nothing is taken from request headers (no X-Forwarded-For, no Host-based routing): identity and
 * address are only ever the socket's.
 */
import http from 'node:http';
import { ADMIN_COMMAND_NAMES, runAdminCommand, toJson } from './admin-commands.ts';
import type { NodeStatus } from './four-letter.ts';

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  status: () => NodeStatus;
  metrics: () => string;
  log?: (msg: string) => void;
}

const COMMAND_PATH = /^\/commands\/([A-Za-z_]+)\/?$/;

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    try {
      route(req, res, opts);
    } catch (e) {
      opts.log?.(`admin request ${req.url ?? ''} failed: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    host: opts.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function route(req: http.IncomingMessage, res: http.ServerResponse, opts: AdminServerOptions): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  const p = url.pathname;
  if (p === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(opts.metrics());
    return;
  }
  if (p === '/commands' || p === '/commands/') {
    // ZooKeeper answers the listing with HTML links, one per command.
    const body = ADMIN_COMMAND_NAMES.map((n) => `<a href="/commands/${n}">${n}</a>\n<br/>\n`).join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    return;
  }
  const m = COMMAND_PATH.exec(p);
  if (m) {
    const body = runAdminCommand(m[1]!, opts.status);
    res.writeHead(200, { 'content-type': 'application/json' }).end(toJson(body) + '\n');
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
