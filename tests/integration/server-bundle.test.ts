/**
 * The bundled server that the supervisor and every test run (ensemble/cli/server-bundle.ts): built from the current
 * sources, rebuilt when it is stale or its input list is missing, and a working server on its own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUTS_FILE as INPUTS, SERVER_BUNDLE, SERVER_SOURCE, serverBundle } from '../../ensemble/cli/server-bundle.ts';
import { REPO_ROOT, startOurServer } from '../helpers/our-server.ts';
import { fourLetterWord } from '../helpers/ports.ts';

/** serverBundle() in a fresh process (each process builds at most once). */
function bundleInChildProcess(): void {
  const code = `import(${JSON.stringify(path.join(REPO_ROOT, 'ensemble/cli/server-bundle.ts'))}).then((m) => m.serverBundle())`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
}

describe('server bundle', () => {
  it('is built from the server sources and runs a node that answers', async () => {
    expect(await serverBundle()).toBe(SERVER_BUNDLE);
    const inputs = JSON.parse(fs.readFileSync(INPUTS, 'utf8')) as string[];
    expect(inputs).toContain(SERVER_SOURCE);
    expect(inputs).toContain(path.join(REPO_ROOT, 'ensemble/zab/node.ts'));
    expect(fs.readFileSync(SERVER_BUNDLE, 'utf8')).toMatch(/sourceMappingURL=server\.mjs\.map\s*$/);
    const server = await startOurServer();
    try {
      expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');
    } finally {
      await server.stop();
    }
  });

  it('is rebuilt when a source is newer than it, and when its input list is gone', () => {
    // Older than a source it was built from, whatever age the checkout's files have.
    const old = new Date(fs.statSync(SERVER_SOURCE).mtimeMs - 10_000);
    fs.utimesSync(SERVER_BUNDLE, old, old);
    bundleInChildProcess();
    expect(fs.statSync(SERVER_BUNDLE).mtimeMs).toBeGreaterThan(old.getTime() + 1000);

    const inode = fs.statSync(SERVER_BUNDLE).ino;
    fs.rmSync(INPUTS);
    bundleInChildProcess();
    expect(fs.existsSync(INPUTS)).toBe(true);
    expect(fs.statSync(SERVER_BUNDLE).ino).not.toBe(inode); // a new file renamed over the old one
  });

  it('is left alone when it is fresh', () => {
    bundleInChildProcess();
    const stamp = fs.statSync(SERVER_BUNDLE).mtimeMs;
    const inode = fs.statSync(SERVER_BUNDLE).ino;
    bundleInChildProcess();
    expect(fs.statSync(SERVER_BUNDLE).ino).toBe(inode);
    expect(fs.statSync(SERVER_BUNDLE).mtimeMs).toBe(stamp);
  });
});
