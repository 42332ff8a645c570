/**
 * The admin HTTP endpoint of a real node process: ZooKeeper AdminServer-style JSON commands, the Prometheus
 * scrape with its essential series, and zoo.cfg keys that shape the node (admin, whitelist, dataLogDir, forceSync,
 * snapCount, session timeouts).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import type { RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { fourLetterWord, freePort } from '../helpers/ports.ts';
import { dataFiles } from './durability-helpers.ts';

const started: RunningServer[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function get(port: number, p: string, init?: RequestInit): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, init);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

/** Prometheus text → `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('admin HTTP endpoint', () => {
  let server: RunningServer;
  let adminPort: number;
  let zk: ZkClient;

  beforeAll(async () => {
    adminPort = await freePort();
    server = await startOurServer({ config: { 'admin.enableServer': 'true', 'admin.serverPort': String(adminPort) } });
    started.push(server);
    zk = await ZkClient.connect(server.connectString);
    await zk.create('/adm', 'hello');
    await zk.create('/adm/e', 'x', { mode: 1 });
    await zk.setData('/adm', 'again');
    await zk.getData('/adm', () => {});
  }, 60_000);

  afterAll(async () => {
    await zk?.close();
  });

  it('lists the commands as links, like ZooKeeper', async () => {
    const r = await get(adminPort, '/commands');
    expect(r.status).toBe(200);
    for (const name of ['configuration', 'connections', 'dump', 'environment', 'monitor', 'ruok', 'server_stats', 'stats', 'watch_summary', 'watches', 'watches_by_path', 'dirs', 'is_read_only']) {
      expect(r.body).toContain(`<a href="/commands/${name}">${name}</a>`);
    }
  });

  it('answers commands as JSON by name or four-letter alias', async () => {
    const ruok = await get(adminPort, '/commands/ruok');
    expect(ruok.type).toMatch(/application\/json/);
    expect(JSON.parse(ruok.body)).toEqual({ command: 'ruok', error: null });

    const srvr = JSON.parse((await get(adminPort, '/commands/srvr')).body);
    expect(srvr.command).toBe('server_stats');
    expect(srvr.error).toBeNull();
    expect(srvr.server_stats.server_state).toBe('standalone');
    expect(srvr.server_stats.last_processed_zxid).toBeGreaterThanOrEqual(4);
    expect(srvr.node_count).toBe(7);
    expect(JSON.parse((await get(adminPort, '/commands/server_stats')).body).command).toBe('server_stats');

    const mntr = JSON.parse((await get(adminPort, '/commands/mntr')).body);
    expect(mntr.command).toBe('monitor');
    expect(mntr.znode_count).toBe(7);
    expect(mntr.ephemerals_count).toBe(1);
    expect(mntr.watch_count).toBe(1);
    expect(mntr.server_state).toBe('standalone');
    expect(mntr.open_file_descriptor_count).toBeGreaterThan(0);

    const conf = JSON.parse((await get(adminPort, '/commands/conf')).body);
    expect(conf).toMatchObject({ command: 'configuration', client_port: server.port, tick_time: 2000, server_id: 0 });

    // Session ids are 64-bit: printed exactly, not rounded through a double.
    const cons = await get(adminPort, '/commands/cons');
    expect(cons.body).toContain(`"session_id" : ${zk.sessionId.toString()}`);
    const wchc = await get(adminPort, '/commands/watches');
    expect(wchc.body).toContain(`"${zk.sessionId.toString()}" : [\n`);
    const wchs = JSON.parse((await get(adminPort, '/commands/wchs')).body);
    expect(wchs).toMatchObject({ command: 'watch_summary', num_connections: 1, num_paths: 1, num_total_watches: 1 });
    const dump = await get(adminPort, '/commands/dump');
    expect(dump.body).toMatch(/"session_id_to_ephemeral_paths" : \{\n\s+"\d+" : \[\n\s+"\/adm\/e"/);
    const dirs = JSON.parse((await get(adminPort, '/commands/dirs')).body);
    expect(dirs.logdir_size).toBeGreaterThan(0);
    expect(JSON.parse((await get(adminPort, '/commands/isro')).body)).toEqual({ read_only: false, command: 'is_read_only', error: null });
    expect(JSON.parse((await get(adminPort, '/commands/envi')).body)['os.name']).toBeTruthy();

    expect(JSON.parse((await get(adminPort, '/commands/nosuch')).body)).toEqual({ command: 'nosuch', error: 'Unknown command: nosuch' });
    expect((await get(adminPort, '/elsewhere')).status).toBe(404);
    expect((await get(adminPort, '/commands/ruok', { method: 'POST' })).status).toBe(405);
  });

  it('serves Prometheus metrics with the essential series', async () => {
    const r = await get(adminPort, '/metrics');
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE request_latency_seconds histogram');
    expect(r.body).toContain('# TYPE fsync_seconds histogram');
    const m = samples(r.body);
    expect(m.get('request_latency_seconds_count{op="create"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('request_latency_seconds_bucket{op="create",le="+Inf"}')).toBe(m.get('request_latency_seconds_count{op="create"}'));
    expect(m.get('request_latency_seconds_count{op="setData"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('outstanding_requests')).toBe(0);
    expect(m.get('znode_count')).toBe(7);
    expect(m.get('watch_count')).toBe(1);
    expect(m.get('global_sessions')).toBe(1);
    expect(m.get('num_alive_connections')).toBeGreaterThanOrEqual(1);
    expect(m.get('fsync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('fsync_seconds_bucket{le="+Inf"}')).toBe(m.get('fsync_seconds_count'));
    // createSession + 2 creates + setData at least.
    expect(m.get('txns_logged_total')).toBeGreaterThanOrEqual(4);
    expect(m.get('txn_log_bytes')).toBeGreaterThan(0);
    expect(m.has('snapshot_bytes')).toBe(true);
    // Cumulative buckets never decrease.
    const buckets = [...m].filter(([k]) => k.startsWith('request_latency_seconds_bucket{op="create"')).map(([, v]) => v);
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
  });
});

describe('zoo.cfg keys are honoured', () => {
  it('admin.enableServer=false, 4lw.commands.whitelist, dataLogDir, forceSync=no, snapCount, session timeouts', { timeout: 60_000 }, async () => {
    const adminPort = await freePort();
    const root = fs.mkdtempSync('/tmp/our-zk-cfg-');
    const logDir = path.join(root, 'txnlog');
    const s = await startOurServer({
      dir: root,
      tickTime: 100,
      config: {
        'admin.enableServer': 'false',
        'admin.serverPort': String(adminPort),
        '4lw.commands.whitelist': 'srvr, mntr',
        dataLogDir: logDir,
        forceSync: 'no',
        snapCount: '10',
        minSessionTimeout: '1500',
        maxSessionTimeout: '2500',
      },
    });
    started.push(s);
    const refused = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ port: adminPort, host: '127.0.0.1' });
      sock.once('connect', () => (sock.destroy(), resolve(false)));
      sock.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(await fourLetterWord(s.port, 'ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
    expect(await fourLetterWord(s.port, 'srvr')).toMatch(/^Mode: standalone$/m);
    const zk = await ZkClient.connect(s.connectString, { sessionTimeout: 60_000 });
    expect(zk.sessionTimeout).toBe(2500);
    for (let i = 0; i < 30; i++) await zk.create(`/k${i}`, 'v');
    await zk.close();
    const mntr = await fourLetterWord(s.port, 'mntr');
    // forceSync=no: appended, never fdatasynced.
    expect(mntr).toMatch(/^zk_cnt_fsynctime\t0$/m);
    // The log goes to dataLogDir, snapshots (every ~10 txns) to dataDir.
    expect(dataFiles(logDir, 'log.').length).toBeGreaterThan(0);
    expect(dataFiles(path.join(root, 'data'), 'log.')).toEqual([]);
    const deadline = Date.now() + 5000;
    while (dataFiles(path.join(root, 'data'), 'snapshot.').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(dataFiles(path.join(root, 'data'), 'snapshot.').length).toBeGreaterThanOrEqual(2);
    const conf = await fourLetterWord(s.port, 'conf');
    expect(conf).toContain('conf is not executed');
  });
});
