/**
 * Where the colocated ensemble lives: ports, folders and files of each node, and writing them.
 *
 * Ports from one base B (default 2181): node i (1..3) gets client B+i-1, quorum B+707+i-1,
 * election B+1707+i-1 — the default base gives ZooKeeper's usual 2181-2183 / 2888-2890 / 3888-3890.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generatePeerSecretText } from '../../server/peers/index.ts';

export const NODE_COUNT = 3;
export const HOST = '127.0.0.1';
export const DEFAULT_BASE_PORT = 2181;
export const DEFAULT_DIR = './data/ensemble';
const QUORUM_OFFSET = 707;
const ELECTION_OFFSET = 1707;

export interface NodeLayout {
  id: number;
  host: string;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  /** Also the node's dataDir. */
  dir: string;
  cfgFile: string;
  pidFile: string;
  logFile: string;
}

export interface EnsembleLayout {
  dir: string;
  basePort: number;
  secretFile: string;
  /** The supervisor's pid. */
  pidFile: string;
  nodes: NodeLayout[];
}

export function validateBasePort(base: number): string | null {
  if (!Number.isInteger(base) || base < 1 || base + ELECTION_OFFSET + NODE_COUNT - 1 > 65535) {
    return `--base-port must be an integer from 1 to ${65535 - ELECTION_OFFSET - NODE_COUNT + 1}`;
  }
  return null;
}

export function layoutOf(dirArg: string, basePort: number): EnsembleLayout {
  const dir = path.resolve(dirArg);
  const nodes = Array.from({ length: NODE_COUNT }, (_, i): NodeLayout => {
    const nodeDir = path.join(dir, `node${i + 1}`);
    return {
      id: i + 1,
      host: HOST,
      clientPort: basePort + i,
      quorumPort: basePort + QUORUM_OFFSET + i,
      electionPort: basePort + ELECTION_OFFSET + i,
      dir: nodeDir,
      cfgFile: path.join(nodeDir, 'zoo.cfg'),
      pidFile: path.join(nodeDir, 'server.pid'),
      logFile: path.join(nodeDir, 'server.log'),
    };
  });
  return { dir, basePort, secretFile: path.join(dir, 'peer.secret'), pidFile: path.join(dir, 'ensemble.pid'), nodes };
}

/**
 * The layout of an ensemble already written to `dirArg` (its ports read back from node1/zoo.cfg), so that
 * status and stop need only --dir; `fallbackBase` when nothing was written there yet.
 */
export function existingLayout(dirArg: string, fallbackBase: number): EnsembleLayout {
  const guess = layoutOf(dirArg, fallbackBase);
  try {
    const text = fs.readFileSync(guess.nodes[0]!.cfgFile, 'utf8');
    const m = /^clientPort=(\d+)\s*$/m.exec(text);
    if (m) return layoutOf(dirArg, Number(m[1]));
  } catch {
    // not written yet
  }
  return guess;
}

export function zooCfgText(layout: EnsembleLayout, node: NodeLayout): string {
  const lines = [
    '# Written by `npm run ensemble` on every start: edit ensemble/cli/ensemble/layout.ts, not this file.',
    'tickTime=2000',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${node.dir}`,
    `clientPort=${node.clientPort}`,
    `clientPortAddress=${node.host}`,
    '4lw.commands.whitelist=srvr,ruok,stat,mntr,conf',
    'admin.enableServer=false',
    `quorum.auth.secretFile=${layout.secretFile}`,
    ...layout.nodes.map((n) => `server.${n.id}=${n.host}:${n.quorumPort}:${n.electionPort}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Creates the folders, zoo.cfg and myid of every node, and the peer secret when there is none yet. */
export function writeLayout(layout: EnsembleLayout, say: (msg: string) => void): void {
  fs.mkdirSync(layout.dir, { recursive: true });
  writeSecretOnce(layout.secretFile, say);
  for (const node of layout.nodes) {
    fs.mkdirSync(node.dir, { recursive: true });
    fs.writeFileSync(node.cfgFile, zooCfgText(layout, node));
    fs.writeFileSync(path.join(node.dir, 'myid'), `${node.id}\n`);
  }
}

function writeSecretOnce(file: string, say: (msg: string) => void): void {
  try {
    // 'wx': never overwrite — every node must keep using the secret the others know.
    fs.writeFileSync(file, generatePeerSecretText(), { mode: 0o600, flag: 'wx' });
    say(`generated the peer secret ${file} (mode 600)`);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    fs.chmodSync(file, 0o600);
    say(`the peer secret ${file} was readable by others (mode ${mode.toString(8)}); changed it to 600`);
  }
}
