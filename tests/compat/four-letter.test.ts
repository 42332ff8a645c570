/**
 * The same essential-field checks of the four-letter words, run against our node and against Apache ZooKeeper 3.8:
 * proof that monitoring scripts written for ZooKeeper read ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../ensemble/client/index.ts';
import { apacheZkUnavailable, startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { fourLetterWord } from '../helpers/ports.ts';

const skip = apacheZkUnavailable();
const servers: Record<'ours' | 'apache', RunningServer | null> = { ours: null, apache: null };
const clients: ZkClient[] = [];

beforeAll(async () => {
  const [ours, apache] = await Promise.all([startOurServer(), skip ? Promise.resolve(null) : startApacheZk()]);
  servers.ours = ours;
  servers.apache = apache;
  for (const s of [ours, apache]) {
    if (!s) continue;
    const c = await ZkClient.connect(s.connectString);
    clients.push(c);
    await c.create('/fl', 'x');
    await c.create('/fl/eph', 'y', { mode: 1 });
    await c.getData('/fl', () => {});
    await c.exists('/fl/none', () => {});
  }
}, 90_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await servers.ours?.stop();
  await servers.apache?.stop();
});

/** mntr / conf style `key<sep>value` lines. */
function pairs(text: string, sep: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(sep);
    if (at > 0) out.set(line.slice(0, at), line.slice(at + sep.length));
  }
  return out;
}

const targets = ['ours', 'apache'] as const;

describe.each(targets)('four-letter words: %s', (name) => {
  const word = (w: string) => {
    const s = servers[name];
    if (!s) throw new Error('not started');
    return fourLetterWord(s.port, w);
  };
  const skipThis = name === 'apache' && !!skip;

  it.skipIf(skipThis)('ruok answers imok and isro rw', async () => {
    expect(await word('ruok')).toBe('imok');
    expect(await word('isro')).toBe('rw');
  });

  it.skipIf(skipThis)('srvr and stat: version, latency, counters, Zxid in hex, Mode, Node count', async () => {
    for (const w of ['srvr', 'stat']) {
      const text = await word(w);
      expect(text).toMatch(/^Zookeeper version: 3\.8\.\d+/);
      expect(text).toMatch(/^Latency min\/avg\/max: \d+\/\d+(\.\d+)?\/\d+$/m);
      expect(text).toMatch(/^Received: \d+$/m);
      expect(text).toMatch(/^Sent: \d+$/m);
      expect(text).toMatch(/^Connections: \d+$/m);
      expect(text).toMatch(/^Outstanding: 0$/m);
      expect(text).toMatch(/^Zxid: 0x[0-9a-f]+$/m);
      expect(text).toMatch(/^Mode: standalone$/m);
      // 4 system nodes + /fl + /fl/eph, root counted twice.
      expect(text).toMatch(/^Node count: 7$/m);
    }
    const stat = await word('stat');
    expect(stat).toMatch(/^Clients:\n( \/127\.0\.0\.1:\d+\[\d\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+\n/m);
  });

  it.skipIf(skipThis)("mntr: tab-separated zk_* lines with the essential keys", async () => {
    const text = await word('mntr');
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^zk_[a-z0-9_]+\t\S.*$/);
    const m = pairs(text, '\t');
    expect(m.get('zk_version')).toMatch(/^3\.8\.\d+/);
    expect(m.get('zk_server_state')).toBe('standalone');
    expect(m.get('zk_avg_latency')).toMatch(/^\d+(\.\d+)?$/);
    expect(m.get('zk_znode_count')).toBe('7');
    expect(m.get('zk_watch_count')).toBe('2');
    expect(m.get('zk_ephemerals_count')).toBe('1');
    expect(m.get('zk_global_sessions')).toBe('1');
    expect(m.get('zk_outstanding_requests')).toBe('0');
    // "/" "/zookeeper" "/zookeeper/quota" "/zookeeper/config" "/fl"+x "/fl/eph"+y
    expect(m.get('zk_approximate_data_size')).toBe(String(1 + 10 + 16 + 17 + 4 + 8));
    expect(Number(m.get('zk_open_file_descriptor_count'))).toBeGreaterThan(0);
    expect(Number(m.get('zk_max_file_descriptor_count'))).toBeGreaterThan(0);
    for (const k of ['zk_num_alive_connections', 'zk_packets_sent', 'zk_packets_received', 'zk_min_latency', 'zk_max_latency', 'zk_uptime']) {
      expect(m.get(k), k).toMatch(/^\d+$/);
    }
    expect(m.get('zk_cnt_fsynctime')).toMatch(/^\d+$/);
  });

  it.skipIf(skipThis)('conf: the configuration keys', async () => {
    const c = pairs(await word('conf'), '=');
    const s = servers[name]!;
    expect(c.get('clientPort')).toBe(String(s.port));
    expect(c.get('dataDir')).toMatch(/\/version-2$/);
    expect(c.get('dataLogDir')).toMatch(/\/version-2$/);
    expect(c.get('dataDirSize')).toMatch(/^\d+$/);
    expect(c.get('tickTime')).toBe('2000');
    expect(c.get('maxClientCnxns')).toBe('0');
    expect(c.get('minSessionTimeout')).toBe('4000');
    expect(c.get('maxSessionTimeout')).toBe('40000');
    expect(c.get('serverId')).toBe('0');
    expect(c.get('secureClientPort')).toBe('-1');
  });

  it.skipIf(skipThis)('cons, wchs, wchc, wchp, dump, envi, dirs', async () => {
    const sid = `0x${clients[name === 'ours' ? 0 : 1]!.sessionId.toString(16)}`;
    expect(await word('cons')).toContain(`,sid=${sid},lop=`);
    expect(await word('wchs')).toBe('1 connections watching 2 paths\nTotal watches:2\n');
    expect(await word('wchc')).toBe(`${sid}\n\t/fl\n\t/fl/none\n\n`);
    expect(await word('wchp')).toBe(`/fl\n\t${sid}\n/fl/none\n\t${sid}\n\n`);
    const dump = await word('dump');
    // One session; ZooKeeper also lists the buckets a session has just left, empty ("0 expire at ..."), until they expire.
    const bucket = (n: number): string => `${n} expire at \\w{3} \\w{3} \\d\\d \\d\\d:\\d\\d:\\d\\d \\w+ \\d{4}:\\n`;
    expect(dump).toMatch(new RegExp(`^SessionTracker dump:\\nSession Sets \\(\\d+\\)\\/\\(1\\):\\n(${bucket(0)})*${bucket(1)}\\t${sid}\\n`));
    expect(dump).toContain(`ephemeral nodes dump:\nSessions with Ephemerals (1):\n${sid}:\n\t/fl/eph\n`);
    const envi = pairs(await word('envi'), '=');
    for (const k of ['zookeeper.version', 'host.name', 'java.version', 'os.name', 'os.arch', 'user.dir']) expect(envi.has(k), k).toBe(true);
    expect(await word('dirs')).toMatch(/^datadir_size: \d+\nlogdir_size: \d+\n$/);
  });

  it.skipIf(skipThis)('crst and srst reset the counters', async () => {
    expect(await word('crst')).toBe('Connection stats reset.\n');
    expect(await word('srst')).toBe('Server stats reset.\n');
    expect(await word('srvr')).toMatch(/^Latency min\/avg\/max: 0\/0(\.0)?\/0$/m);
  });
});
