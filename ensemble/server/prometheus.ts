/**
 * `GET /metrics` in Prometheus text exposition format 0.0.4. Gauge names follow ZooKeeper's Prometheus provider
 * where it has one (znode_count, watch_count, outstanding_requests, ...), so its dashboards mostly apply.
 */
import { FSYNC_BUCKETS_MS, type DurationHistogram } from '../storage/index.ts';
import type { NodeStatus } from './four-letter.ts';
import { openFileDescriptorCount } from './process-info.ts';
import type { Histogram, RequestMetrics } from './request-metrics.ts';

class Exposition {
  private out = '';

  metric(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
    this.out += `${name}${l.length ? `{${l.join(',')}}` : ''} ${Number.isFinite(value) ? value : 0}\n`;
    return this;
  }

  gauge(name: string, help: string, value: number): this {
    return this.metric(name, 'gauge', help).sample(name, value);
  }

  counter(name: string, help: string, value: number): this {
    return this.metric(name, 'counter', help).sample(name, value);
  }

  /** Buckets in ms are exported in seconds, cumulative, as Prometheus expects. */
  histogram(name: string, bounds: readonly number[], counts: readonly number[], count: number, sumMs: number, labels: Record<string, string> = {}): this {
    let cumulative = 0;
    bounds.forEach((b, i) => {
      cumulative += counts[i] ?? 0;
      this.sample(`${name}_bucket`, cumulative, { ...labels, le: String(b / 1000) });
    });
    this.sample(`${name}_bucket`, count, { ...labels, le: '+Inf' });
    this.sample(`${name}_sum`, sumMs / 1000, labels);
    return this.sample(`${name}_count`, count, labels);
  }

  toString(): string {
    return this.out;
  }
}

export function prometheusText(s: NodeStatus, requests: RequestMetrics): string {
  const e = new Exposition();
  e.metric('request_latency_seconds', 'histogram', 'Time from reading a request to writing its reply, by op type.');
  for (const [op, h] of [...requests.byOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    const hist: Histogram = h;
    e.histogram('request_latency_seconds', hist.bounds, hist.counts, hist.count, hist.sumMs, { op });
  }
  e.gauge('outstanding_requests', 'Requests read and not yet answered.', s.outstanding);
  e.gauge('znode_count', 'Znodes in the data tree (the root counted twice, as ZooKeeper does).', s.nodeCount);
  e.gauge('watch_count', 'Watches registered on this server.', s.watchCount());
  e.gauge('global_sessions', 'Live sessions.', s.sessions().length);
  e.gauge('num_alive_connections', 'Open client connections.', s.connections().length);
  e.gauge('approximate_data_size', 'Sum of path and data lengths of every znode, in bytes.', s.approximateDataSize());
  e.gauge('last_zxid', 'Newest zxid applied to the data tree.', Number(s.lastZxid));
  e.counter('packets_received', 'Client packets received.', s.stats.packetsReceived);
  e.counter('packets_sent', 'Client packets sent.', s.stats.packetsSent);
  e.gauge('open_file_descriptor_count', 'Open file descriptors of the process.', openFileDescriptorCount());
  e.gauge('uptime_seconds', 'Seconds since the server started.', (Date.now() - s.stats.startedAt) / 1000);
  const st = s.storage;
  if (st) {
    const f: DurationHistogram = st.fsyncTime;
    e.metric('fsync_seconds', 'histogram', 'Time of each transaction log fdatasync (one per group-commit batch).');
    e.histogram('fsync_seconds', FSYNC_BUCKETS_MS, f.counts, f.count, f.sumMs);
    e.counter('txns_logged_total', 'Transactions appended to the log and made durable.', st.txnsWritten);
    e.counter('txn_log_batches_total', 'Group-commit batches written (one write and one fdatasync each).', st.batchesWritten);
    e.counter('txn_log_appended_bytes_total', 'Record bytes appended to the transaction log.', st.bytesAppended);
    e.gauge('txn_log_bytes', 'Size of the transaction log files on disk, preallocation included.', st.logFileBytes);
    e.gauge('snapshot_bytes', 'Size of the snapshot files on disk.', st.snapshotBytes);
    e.gauge('last_snapshot_bytes', 'Size of the newest snapshot written or loaded.', st.lastSnapshotBytes);
  }
  return e.toString();
}
