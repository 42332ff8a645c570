// The whole admin for end-to-end tests: our ensemble node, a temp SQLite database with users, the
// built Next.js app under `next start`, and the audit recorder when the project has one.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../helpers/ports.ts';
import { REPO_ROOT, startOurServer } from '../../helpers/our-server.ts';
import type { RunningServer } from '../../helpers/apache-zk.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const NEXT_BIN = path.join(REPO_ROOT, 'node_modules/next/dist/bin/next');
/** Our own build folder (next.config honours NEXT_DIST_DIR), so other suites' builds and a developer's .next stay untouched. */
export const DIST_DIR = '.next-e2e';

/** Why the e2e suite cannot run here, or null. */
export function e2eUnavailable(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install -y chromium)`;
  if (!fs.existsSync(NEXT_BIN)) return 'next is not installed';
  if (!fs.existsSync(path.join(REPO_ROOT, 'node_modules/playwright-core'))) return 'playwright-core is not installed';
  return null;
}

/** API routes the UI needs; the suite skips (with their names) while any is missing. */
export function missingEndpoints(): string[] {
  const required = [
    'app/api/auth/[...nextauth]/route.ts',
    'app/api/v1/namespaces/route.ts',
    'app/api/v1/namespaces/[ns]/files/[file]/route.ts',
    'app/api/v1/namespaces/[ns]/files/[file]/history/route.ts',
    'app/api/v1/namespaces/[ns]/files/[file]/rollback/route.ts',
    'app/api/v1/namespaces/[ns]/files/[file]/events/route.ts',
    'app/api/v1/audit/route.ts',
    'app/api/v1/ensemble/route.ts',
  ];
  return required.filter((file) => !['.ts', '.js'].some((ext) => fs.existsSync(path.join(REPO_ROOT, file.replace(/\.ts$/, ext)))));
}

function sourceFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (/\.(tsx?|css|js|mjs|json|prisma)$/.test(entry.name)) {
        hash.update(full);
        hash.update(fs.readFileSync(full));
      }
    }
  };
  for (const dir of ['app', 'server', 'ensemble/client', 'ensemble/jute', 'prisma']) walk(path.join(REPO_ROOT, dir));
  for (const file of ['next.config.js', 'next.config.mjs', 'next.config.ts', 'package.json']) {
    const full = path.join(REPO_ROOT, file);
    if (fs.existsSync(full)) hash.update(fs.readFileSync(full));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * `next build`, skipped when the sources are unchanged since the last e2e build (builds take minutes on
 * two cores), or when E2E_REUSE_BUILD=1 and a build exists (iterating on tests alone).
 */
export function buildAdmin(): void {
  const stampFile = path.join(REPO_ROOT, DIST_DIR, 'e2e-build-stamp');
  if (process.env.E2E_REUSE_BUILD === '1' && fs.existsSync(path.join(REPO_ROOT, DIST_DIR, 'BUILD_ID'))) return;
  const fingerprint = sourceFingerprint();
  if (process.env.E2E_REBUILD !== '1' && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === fingerprint) return;
  const result = spawnSync(process.execPath, [NEXT_BIN, 'build'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: DIST_DIR },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
  fs.writeFileSync(stampFile, fingerprint);
}

export interface AdminStack {
  url: string;
  zkPort: number;
  zkAuth: string;
  env: NodeJS.ProcessEnv;
  recorder: boolean;
  /** Stops the ensemble node, to see how the admin copes without it. */
  stopEnsemble(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export const USERS = {
  admin: { name: 'admin', password: 'e2e-Admin-pw-7391' },
  editor: { name: 'bob', password: 'e2e-Bob-pw-44120' },
  viewer: { name: 'vera', password: 'e2e-Vera-pw-9023' },
};

function startProcess(args: string[], env: NodeJS.ProcessEnv, log: string[]): ChildProcess {
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  return proc;
}

async function stopProcess(proc: ChildProcess | null): Promise<void> {
  if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function seedUsers(databaseUrl: string): Promise<void> {
  // The database module reads DATABASE_URL; the users are created through server/auth like the CLI does.
  const { openDatabase } = await import('../../../server/db.ts');
  const { createUser, ensureInitialAdmin } = await import('../../../server/auth/index.ts');
  const db = await openDatabase(databaseUrl);
  try {
    await ensureInitialAdmin(db, { ...process.env, ADMIN_PASSWORD: USERS.admin.password });
    await createUser(db, { name: USERS.editor.name, password: USERS.editor.password, role: 'editor', createdBy: 'admin' });
    await createUser(db, { name: USERS.viewer.name, password: USERS.viewer.password, role: 'viewer', createdBy: 'admin' });
  } finally {
    await db.$disconnect();
  }
}

export async function startAdminStack(): Promise<AdminStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-e2e-'));
  const log: string[] = [];
  let zk: RunningServer | null = null;
  let next: ChildProcess | null = null;
  let recorder: ChildProcess | null = null;
  const stop = async () => {
    await stopProcess(recorder);
    await stopProcess(next);
    await zk?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    zk = await startOurServer({ tickTime: 500 });
    const port = await freePort();
    const databaseUrl = `file:${path.join(dir, 'audit.db')}`;
    const zkAuth = `config-center:${randomBytes(18).toString('base64url')}`;
    const url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      NEXT_DIST_DIR: DIST_DIR,
      DATABASE_URL: databaseUrl,
      ZK_CONNECT: `127.0.0.1:${zk.port}`,
      ZK_AUTH: zkAuth,
      NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
      NEXTAUTH_URL: url,
      ADMIN_PASSWORD: USERS.admin.password,
    };
    await seedUsers(databaseUrl);
    next = startProcess([NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], env, log);
    await Promise.race([
      waitForPort(port, '127.0.0.1', 60_000),
      new Promise((_, reject) => next!.once('exit', () => reject(new Error(`next start exited:\n${log.join('')}`)))),
    ]);
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts ?? {};
    const recorderEntry = ['server/recorder-cli.ts', 'server/recorder/cli.ts'].map((f) => path.join(REPO_ROOT, f)).find((f) => fs.existsSync(f));
    if (scripts.recorder && recorderEntry) {
      recorder = startProcess(['--import', 'tsx', recorderEntry], env, log);
    }
    const node = zk;
    return { url, zkPort: zk.port, zkAuth, env, recorder: recorder !== null, stopEnsemble: () => node.stop({ keepDir: true }), logs: () => log.join(''), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs our zkcli with commands on stdin (after addauth), as an operator would from a shell. */
export function zkcli(stack: AdminStack, commands: string[]): { output: string; status: number | null } {
  const input = [`addauth digest ${stack.zkAuth}`, ...commands, 'quit', ''].join('\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'ensemble/cli/zkcli.ts'), '-server', `127.0.0.1:${stack.zkPort}`], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { output: `${result.stdout}${result.stderr}`, status: result.status };
}

/** Chromium against a running admin stack: each page in its own context (its own cookies), all closed by close(). */
export class AdminBrowser {
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    private readonly stack: AdminStack,
    readonly browser: Browser,
  ) {}

  static async launch(stack: AdminStack): Promise<AdminBrowser> {
    const { chromium } = await import('playwright-core');
    return new AdminBrowser(stack, await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }));
  }

  async newPage(width = 1280, height = 860, timeoutMs = 15_000): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width, height } });
    this.contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(timeoutMs);
    return page;
  }

  /** Through the sign-in form, as a person would; resolves on the dashboard. */
  async signIn(page: Page, user: { name: string; password: string }): Promise<void> {
    await page.goto(`${this.stack.url}/login`);
    await page.getByLabel('User name').fill(user.name);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${this.stack.url}/`);
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined);
    await this.browser.close();
  }
}
