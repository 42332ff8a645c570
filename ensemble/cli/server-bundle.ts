/**
 * The node server as one pre-built ES module, so a (re)started node opens its port without first loading a
 * TypeScript loader and transpiling ~100 modules (≈ 0.6 s of a 0.85 s start on the benchmark machine).
 *
 *   const args = await serverNodeArgs();   // ['--enable-source-maps', '<bundle>.mjs']
 *   spawn(process.execPath, [...args, cfgFile]);
 *
 * Built with esbuild (the bundler tsx itself uses) into node_modules/.cache/zk-ensemble/ and rebuilt when any
 * input is newer than the bundle or gone. Concurrent builders (test workers) each write a temp file and rename it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const SERVER_SOURCE = fileURLToPath(new URL('./server.ts', import.meta.url));
const REPO_ROOT = path.resolve(path.dirname(SERVER_SOURCE), '../..');
const OUT_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'zk-ensemble');
export const SERVER_BUNDLE = path.join(OUT_DIR, 'server.mjs');
/** The source files the current bundle was built from (esbuild's metafile inputs), to check it is still fresh. */
export const INPUTS_FILE = path.join(OUT_DIR, 'server.inputs.json');

let pending: Promise<string> | null = null;

/**
 * Node arguments (before the zoo.cfg path) that run the server from a bundle built from the current sources.
 * ZK_NODE_FLAGS adds Node/V8 flags to every node (`--cpu-prof`, `--trace-gc`, `--expose-gc`, heap limits):
 * NODE_OPTIONS refuses most V8 flags, and it would apply to the supervisor and the benchmark too.
 */
export async function serverNodeArgs(): Promise<string[]> {
  const extra = (process.env.ZK_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== '');
  return ['--enable-source-maps', ...extra, await serverBundle()];
}

export function serverBundle(): Promise<string> {
  pending ??= ensureBundle().catch((e: unknown) => {
    pending = null;
    throw e;
  });
  return pending;
}

async function ensureBundle(): Promise<string> {
  if (isFresh()) return SERVER_BUNDLE;
  // Stamped with the time the build started: a source saved while it ran is newer, so the next check rebuilds.
  const startedAt = new Date();
  const result = await build({
    entryPoints: [SERVER_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    outfile: SERVER_BUNDLE,
    write: false, // written below under temp names and renamed, so a concurrent reader never sees half a file
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.resolve(REPO_ROOT, p));
  const files = [...result.outputFiles.map((f) => ({ path: f.path, bytes: f.contents })), { path: INPUTS_FILE, bytes: Buffer.from(JSON.stringify(inputs)) }];
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  for (const f of files) fs.writeFileSync(f.path + suffix, f.bytes);
  fs.utimesSync(SERVER_BUNDLE + suffix, startedAt, startedAt);
  // The bundle before its input list: a reader that sees the new list also sees the new bundle.
  for (const f of files) fs.renameSync(f.path + suffix, f.path);
  return SERVER_BUNDLE;
}

function isFresh(): boolean {
  let builtAt: number;
  let inputs: string[];
  try {
    builtAt = fs.statSync(SERVER_BUNDLE).mtimeMs;
    inputs = JSON.parse(fs.readFileSync(INPUTS_FILE, 'utf8')) as string[];
  } catch {
    return false;
  }
  if (!inputs.includes(SERVER_SOURCE)) return false;
  for (const file of inputs) {
    try {
      if (fs.statSync(file).mtimeMs > builtAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}
