/**
 * CI smoke run of `npm run bench` (bench/run.ts --quick with tiny counts): both ensembles start, every workload runs,
 * and the table and results JSON come out with numbers. No performance target is asserted: this only keeps the
 * benchmark from rotting. Apache ZooKeeper's column is checked only when it is installed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apacheZkUnavailable } from '../helpers/apache-zk.ts';
import { REPO_ROOT, TSX_LOADER } from '../helpers/our-server.ts';

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
const zookeeperMissing = apacheZkUnavailable();

interface RowJson {
  key: string;
  metric: string;
  ours: number[];
  zookeeper: number[];
}

function runBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ['--quick', '--seconds', '0.4', '--warmup', '0.4', '--znodes', '300', '--watchers', '30', '--sessions', '30', '--idle-sessions', '30', '--out', outDir, '--no-docs'];
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...TSX_LOADER, path.join(REPO_ROOT, 'bench/run.ts'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench --quick (smoke)', () => {
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('prints one table with numbers for every workload and writes the results JSON', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runBench();
    expect(code, stderr.slice(-3000)).toBe(0);

    const tableLines = stdout.split('\n').filter((l) => l.startsWith('| '));
    expect(tableLines[0]).toBe('| metric | ours | ZooKeeper 3.8 | ours/ZK |');
    const body = tableLines.slice(1);
    expect(body.length).toBeGreaterThanOrEqual(40);
    const cells = body.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    const oursNumeric = cells.filter((c) => /^-?[\d,]+(\.\d+)?/.test(c[1]!));
    // A row whose workload failed shows '—'; a failed row is also listed as a note, which the JSON check below reports.
    expect(oursNumeric.length).toBe(body.length);

    const files = fs.readdirSync(outDir).filter((f) => f.endsWith('-quick.json'));
    expect(files).toHaveLength(1);
    const json = JSON.parse(fs.readFileSync(path.join(outDir, files[0]!), 'utf8')) as { rows: RowJson[]; notes: string[]; machine: { nproc: number } };
    expect(json.notes.filter((n) => !n.startsWith('Apache ZooKeeper skipped'))).toEqual([]);
    expect(json.machine.nproc).toBeGreaterThan(0);
    const keys = json.rows.map((r) => r.key);
    for (const k of ['setData.1.p50', 'setData.256.ops', 'createDelete.16.ops', 'createSeq.16.ops', 'getData.64.ops', 'getChildren.16.ops', 'mixed.64.ops', 'open.setData.p99', 'open.getData.p99', 'fanout.p99', 'sessions.open', 'idle.cpu', 'failover.ms', 'failover.expired', 'scale.rss', 'scale.restart']) {
      expect(keys, k).toContain(k);
    }
    for (const r of json.rows) {
      expect(r.ours.length, r.key).toBeGreaterThan(0);
      for (const v of r.ours) expect(Number.isFinite(v), `${r.key}=${v}`).toBe(true);
    }
    const throughput = json.rows.find((r) => r.key === 'setData.16.ops')!;
    expect(throughput.ours[0]).toBeGreaterThan(0);

    if (zookeeperMissing) {
      expect(json.notes.some((n) => n.includes('Apache ZooKeeper skipped'))).toBe(true);
    } else {
      for (const r of json.rows) {
        expect(r.zookeeper.length, r.key).toBeGreaterThan(0);
        for (const v of r.zookeeper) expect(Number.isFinite(v), `${r.key}=${v}`).toBe(true);
      }
      const ratioCell = cells.find((c) => c[0]!.startsWith('setData 100 B, 16 in flight: throughput'))![3]!;
      expect(Number(ratioCell)).toBeGreaterThan(0);
    }
  });
});
