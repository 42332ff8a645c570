/**
 * End-to-end push latency of the config SDK: a direct setData on the file's znode to the subscriber's 'change'
 * callback, with 1, 100 and 1,000 subscribers (each its own ConfigClient, so its own ZooKeeper session), against
 * our node and against Apache ZooKeeper 3.8 on the same machine. Every write waits for all subscribers before the
 * next one, so the figures are per-push latencies, not queueing under an open loop.
 *
 *   npx tsx bench/push-latency.ts [writesPerRun=30] [counts=1,100,1000]
 *
 * Subscribers run without a disk cache: the cache's fsync per version is not part of the push path. They are spread
 * over up to four worker processes (250 each), timestamped with the shared wall clock.
 */
import { Histogram } from './histogram.ts';
import { measurePush } from './push-measure.ts';
import { apacheZkUnavailable, startApacheZk, type RunningServer } from '../tests/helpers/apache-zk.ts';
import { startOurServer } from '../tests/helpers/our-server.ts';

const writes = Number(process.argv[2] ?? 30);
const counts = (process.argv[3] ?? '1,100,1000').split(',').map(Number);

interface Row {
  server: string;
  subscribers: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

async function measure(server: RunningServer, serverName: string, subscribers: number): Promise<Row> {
  const hist = new Histogram();
  for (const ms of await measurePush(server.connectString, subscribers, writes)) hist.recordMs(Math.max(0, ms));
  return { server: serverName, subscribers, samples: hist.count, p50: hist.percentileMs(50), p99: hist.percentileMs(99), max: hist.maxMs() };
}

// Main, in a block so the locals stay local.
{
  const rows: Row[] = [];
  const targets: Array<{ name: string; start: () => Promise<RunningServer> }> = [{ name: 'our node', start: () => startOurServer() }];
  const why = apacheZkUnavailable();
  if (why) console.log(`skipping Apache ZooKeeper: ${why}`);
  else targets.push({ name: 'Apache ZooKeeper 3.8', start: () => startApacheZk() });

  for (const target of targets) {
    const server = await target.start();
    try {
      for (const n of counts) {
        const row = await measure(server, target.name, n);
        rows.push(row);
        console.log(`${row.server}: ${n} subscribers done`);
      }
    } finally {
      await server.stop();
    }
  }

  const fmt = (ms: number): string => ms.toFixed(2).padStart(8);
  console.log('\nserver                 subscribers  samples   p50 ms   p99 ms   max ms');
  for (const r of rows) {
    console.log(`${r.server.padEnd(22)} ${String(r.subscribers).padStart(11)} ${String(r.samples).padStart(8)} ${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.max)}`);
  }
}
