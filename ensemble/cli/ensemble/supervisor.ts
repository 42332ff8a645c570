/**
 * Runs the three nodes as child processes: restarts a node that dies unexpectedly (with backoff), reports
 * each node's role as soon as srvr tells it, and stops everything on request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { EnsembleLayout, NodeLayout } from './layout.ts';
import { removeFile, writePid } from './processes.ts';
import { queryMode } from './srvr.ts';

const RESTART_INITIAL_MS = 500;
const RESTART_MAX_MS = 10_000;
/** A node that ran this long before dying is restarted quickly again. */
const STABLE_AFTER_MS = 30_000;
const ROLE_POLL_MS = 1000;
const STOP_GRACE_MS = 10_000;

interface NodeRun {
  node: NodeLayout;
  child: ChildProcess | null;
  startedAt: number;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | null;
  mode: string | null;
  exited: Promise<void> | null;
}

export class Supervisor {
  private readonly runs: NodeRun[];
  private stopping = false;
  private poller: NodeJS.Timeout | null = null;

  /** serverArgs: the node arguments that run one server, before its zoo.cfg (see server-bundle.ts). */
  constructor(
    private readonly layout: EnsembleLayout,
    private readonly serverArgs: readonly string[],
    private readonly say: (msg: string) => void,
  ) {
    this.runs = layout.nodes.map((node) => ({
      node,
      child: null,
      startedAt: 0,
      restartDelayMs: RESTART_INITIAL_MS,
      restartTimer: null,
      mode: null,
      exited: null,
    }));
  }

  start(): void {
    for (const run of this.runs) this.spawnNode(run);
    this.poller = setInterval(() => void this.pollRoles(), ROLE_POLL_MS);
    void this.pollRoles();
  }

  /** SIGTERM to every node, SIGKILL to those still alive after the grace period. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.poller) clearInterval(this.poller);
    for (const run of this.runs) {
      if (run.restartTimer) clearTimeout(run.restartTimer);
      run.child?.kill('SIGTERM');
    }
    await Promise.all(
      this.runs.map(async (run) => {
        if (!run.child || !run.exited) return;
        const child = run.child;
        const killer = setTimeout(() => {
          this.say(`node ${run.node.id} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await run.exited;
        clearTimeout(killer);
      }),
    );
  }

  private spawnNode(run: NodeRun): void {
    run.restartTimer = null;
    if (this.stopping) return;
    const { node } = run;
    const log = fs.openSync(node.logFile, 'a');
    const child = spawn(process.execPath, [...this.serverArgs, node.cfgFile], {
      stdio: ['ignore', log, log],
      // Own process group: a terminal's Ctrl-C reaches only the supervisor, which then stops the nodes in order.
      detached: true,
    });
    fs.closeSync(log);
    run.child = child;
    run.startedAt = Date.now();
    run.mode = null;
    if (child.pid !== undefined) writePid(node.pidFile, child.pid);
    this.say(`node ${node.id} started (pid ${child.pid}, client ${node.host}:${node.clientPort}, log ${node.logFile})`);
    run.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.onExit(run, child, code, sig);
        resolve();
      });
    });
    child.once('error', (e) => this.say(`node ${node.id}: ${e.message}`));
  }

  private onExit(run: NodeRun, child: ChildProcess, code: number | null, sig: NodeJS.Signals | null): void {
    if (run.child !== child) return;
    run.child = null;
    run.mode = null;
    removeFile(run.node.pidFile);
    const how = sig ? `killed by ${sig}` : `exited with code ${code}`;
    if (this.stopping) {
      this.say(`node ${run.node.id} stopped (${how})`);
      return;
    }
    if (Date.now() - run.startedAt >= STABLE_AFTER_MS) run.restartDelayMs = RESTART_INITIAL_MS;
    const delay = run.restartDelayMs;
    run.restartDelayMs = Math.min(RESTART_MAX_MS, delay * 2);
    this.say(`node ${run.node.id} ${how}; restarting in ${delay} ms (see ${run.node.logFile})`);
    run.restartTimer = setTimeout(() => this.spawnNode(run), delay);
  }

  private async pollRoles(): Promise<void> {
    await Promise.all(
      this.runs.map(async (run) => {
        if (!run.child || this.stopping) return;
        const child = run.child;
        const mode = await queryMode(run.node.host, run.node.clientPort);
        if (mode === null || run.child !== child || mode === run.mode) return;
        run.mode = mode;
        this.say(`node ${run.node.id} (${run.node.host}:${run.node.clientPort}): Mode: ${mode}`);
      }),
    );
  }
}
