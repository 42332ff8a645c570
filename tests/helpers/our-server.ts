/**
 * Starts our ensemble node (`ensemble/cli/server.ts`) as a real OS process on a free loopback port, from the
 * bundle the product's supervisor runs (ensemble/cli/server-bundle.ts, rebuilt when a source changes).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverNodeArgs } from '../../ensemble/cli/server-bundle.ts';
import { freePorts } from './ports.ts';
import { trackProcess, type RunningServer } from './apache-zk.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TSX_LOADER = ['--import', 'tsx'];

export interface OurServerOptions {
  tickTime?: number;
  /** Extra zoo.cfg lines. */
  config?: Record<string, string>;
  /** Reuse an existing data directory (restart after a crash). */
  dir?: string;
  port?: number;
  env?: Record<string, string>;
}

export async function startOurServer(opts: OurServerOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? (await freePorts(1))[0]!;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'our-zk-'));
  const cfg = {
    tickTime: String(opts.tickTime ?? 2000),
    dataDir: path.join(dir, 'data'),
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
    maxClientCnxns: '0',
    ...opts.config,
  };
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const cfgFile = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(cfgFile, Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const proc = spawn(process.execPath, [...(await serverNodeArgs()), cfgFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const server = trackProcess(proc, dir, '127.0.0.1', port);
  try {
    await Promise.race([
      waitUntilStarted(server, 60_000),
      server.exited().then(() => {
        throw new Error('server exited during start-up');
      }),
    ]);
  } catch (e) {
    await server.stop({ keepDir: !!opts.dir });
    throw new Error(`${(e as Error).message}\n${server.output()}`);
  }
  return server;
}

/** Printed by ensemble/cli/server.ts once the node has recovered its state and its client listener is up. */
export const STARTED_LINE = 'ensemble node listening on';

/**
 * Resolves once the node printed STARTED_LINE. The port alone says nothing: it opens before recovery (as ZooKeeper's
 * does) and refuses sessions until the state is loaded.
 */
export async function waitUntilStarted(server: RunningServer, timeoutMs: number, fromOffset = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.output().includes(STARTED_LINE, fromOffset)) {
    if (Date.now() > deadline) throw new Error(`server did not finish starting within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
