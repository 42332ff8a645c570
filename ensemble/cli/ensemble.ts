/**
 * `npm run ensemble -- [start|status|stop] [--base-port N] [--dir DIR]`
 *
 *   start (default)  three colocated nodes on 127.0.0.1 as child processes of this supervisor, data under
 *                    DIR/nodeN (default ./data/ensemble); restarts a node that crashes; Ctrl-C / SIGTERM stop all
 *   status           `node N (127.0.0.1:PORT): Mode: leader` or `not running` per node, like zkServer.sh status
 *   stop             stops the ensemble running from DIR (pid files there)
 *
 * Ports from --base-port B (default 2181): client B..B+2, quorum B+707..B+709, election B+1707..B+1709.
 */
import path from 'node:path';
import {
  DEFAULT_BASE_PORT,
  DEFAULT_DIR,
  existingLayout,
  layoutOf,
  validateBasePort,
  writeLayout,
  type EnsembleLayout,
} from './ensemble/layout.ts';
import { isOurs, readPid, removeFile, signal, waitGone, writePid } from './ensemble/processes.ts';
import { queryMode } from './ensemble/srvr.ts';
import { Supervisor } from './ensemble/supervisor.ts';
import { SERVER_SOURCE, serverNodeArgs } from './server-bundle.ts';

const USAGE = `usage: npm run ensemble -- [start|status|stop] [--base-port N] [--dir DIR]
  start    run three nodes on 127.0.0.1 (client N..N+2, quorum N+707.., election N+1707..; N defaults to ${DEFAULT_BASE_PORT})
  status   print each node's mode
  stop     stop the ensemble whose data is in DIR (default ${DEFAULT_DIR})
`;
const SUPERVISOR_MARKER = 'ensemble.ts';

interface Args {
  command: 'start' | 'status' | 'stop';
  basePort: number;
  basePortGiven: boolean;
  dir: string;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { command: 'start', basePort: DEFAULT_BASE_PORT, basePortGiven: false, dir: DEFAULT_DIR };
  let commandSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--base-port') {
      const v = value();
      if (v === undefined || !/^\d+$/.test(v)) return '--base-port needs a number';
      args.basePort = Number(v);
      args.basePortGiven = true;
      const bad = validateBasePort(args.basePort);
      if (bad) return bad;
    } else if (flag === '--dir') {
      const v = value();
      if (!v) return '--dir needs a folder';
      args.dir = v;
    } else if (flag === '-h' || flag === '--help') {
      return '';
    } else if (!commandSeen && (a === 'start' || a === 'status' || a === 'stop')) {
      args.command = a;
      commandSeen = true;
    } else {
      return `unknown argument ${a}`;
    }
  }
  return args;
}

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

async function start(layout: EnsembleLayout): Promise<number> {
  const running = readPid(layout.pidFile);
  if (running !== null && running !== process.pid && isOurs(running, SUPERVISOR_MARKER)) {
    process.stderr.write(`an ensemble is already running from ${layout.dir} (pid ${running}); stop it with: npm run ensemble -- stop --dir ${layout.dir}\n`);
    return 1;
  }
  const leftovers = layout.nodes.filter((n) => {
    const pid = readPid(n.pidFile);
    return pid !== null && isOurs(pid, n.cfgFile);
  });
  if (leftovers.length > 0) {
    process.stderr.write(
      `node ${leftovers.map((n) => n.id).join(', ')} from an earlier run ${leftovers.length === 1 ? 'is' : 'are'} still running; ` +
        `stop ${leftovers.length === 1 ? 'it' : 'them'} with: npm run ensemble -- stop --dir ${layout.dir}\n`,
    );
    return 1;
  }
  writeLayout(layout, say);
  writePid(layout.pidFile, process.pid);
  const supervisor = new Supervisor(layout, await nodeServerArgs(), say);
  say(`ensemble in ${layout.dir}: ${layout.nodes.map((n) => `node ${n.id} on ${n.host}:${n.clientPort}`).join(', ')}`);
  supervisor.start();
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      say(`${sig} received, stopping the ensemble`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await supervisor.stop();
  if (readPid(layout.pidFile) === process.pid) removeFile(layout.pidFile);
  say('ensemble stopped');
  return 0;
}

/** The bundled server (fast restarts); from source through tsx if the bundle cannot be built here. */
async function nodeServerArgs(): Promise<string[]> {
  try {
    return await serverNodeArgs();
  } catch (e) {
    say(`could not build the server bundle (${(e as Error).message.split('\n')[0]}); running the nodes from source`);
    return ['--import', import.meta.resolve('tsx'), SERVER_SOURCE];
  }
}

async function status(layout: EnsembleLayout): Promise<number> {
  let up = 0;
  for (const node of layout.nodes) {
    const mode = await queryMode(node.host, node.clientPort);
    if (mode !== null) up++;
    say(`node ${node.id} (${node.host}:${node.clientPort}): ${mode === null ? 'not running' : `Mode: ${mode}`}`);
  }
  return up === layout.nodes.length ? 0 : 1;
}

async function stop(layout: EnsembleLayout): Promise<number> {
  const supervisor = readPid(layout.pidFile);
  let stoppedSomething = false;
  if (supervisor !== null && isOurs(supervisor, SUPERVISOR_MARKER)) {
    signal(supervisor, 'SIGTERM');
    stoppedSomething = true;
    if (!(await waitGone(supervisor, SUPERVISOR_MARKER, 20_000))) {
      process.stderr.write(`the supervisor (pid ${supervisor}) did not stop within 20 s\n`);
      return 1;
    }
  }
  removeFile(layout.pidFile);
  // Nodes left behind by a supervisor that was killed outright.
  for (const node of layout.nodes) {
    const pid = readPid(node.pidFile);
    if (pid !== null && isOurs(pid, node.cfgFile)) {
      signal(pid, 'SIGTERM');
      stoppedSomething = true;
      if (!(await waitGone(pid, node.cfgFile, 10_000))) signal(pid, 'SIGKILL');
    }
    removeFile(node.pidFile);
  }
  say(stoppedSomething ? `ensemble in ${layout.dir} stopped` : `no ensemble running in ${layout.dir}`);
  return 0;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    if (args) process.stderr.write(`${args}\n`);
    process.stderr.write(USAGE);
    return args ? 2 : 0;
  }
  const dir = path.resolve(args.dir);
  if (args.command === 'start') return start(layoutOf(dir, args.basePort));
  // status/stop follow what start wrote in DIR unless --base-port says otherwise.
  const layout = args.basePortGiven ? layoutOf(dir, args.basePort) : existingLayout(dir, args.basePort);
  return args.command === 'status' ? status(layout) : stop(layout);
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`fatal: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
