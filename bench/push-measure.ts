/**
 * End-to-end config push through the SDK: a direct setData on a file's znode to each subscriber's 'change' callback.
 * Subscribers are ConfigClients (each its own ZooKeeper session, no disk cache: the cache's fsync per version is not
 * part of the push path) spread over worker processes of 250, timestamped with the shared wall clock: 1,000
 * sessions in one event loop would measure that loop, not the push. Used by `npm run bench` (push row) and
 * bench/push-latency.ts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ZkClient } from '../ensemble/client/index.ts';
import { createConfigClient, ensurePath, type ConfigClient } from '../sdk/index.ts';

const WORKER_FLAG = '--push-worker';

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
const nowAbs = (): number => performance.timeOrigin + performance.now();

/** Subscribers live in several worker processes: 1,000 sessions in one event loop measure that loop, not the push. */
function workerCount(subscribers: number): number {
  return Math.max(1, Math.min(4, Math.ceil(subscribers / 250)));
}

interface WorkerHandle {
  proc: ChildProcess;
  ready: Promise<void>;
}

function startWorker(connectString: string, namespace: string, count: number, onChange: (seq: number, at: number) => void): WorkerHandle {
  const proc = fork(fileURLToPath(import.meta.url), [WORKER_FLAG, connectString, namespace, String(count)], { execArgv: ['--import', 'tsx'] });
  const ready = new Promise<void>((resolve, reject) => {
    proc.on('message', (m: { type: string; seq?: number; at?: number }) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'change') onChange(m.seq!, m.at!);
    });
    proc.once('exit', (code) => reject(new Error(`subscriber worker exited with ${code}`)));
  });
  return { proc, ready };
}

async function runWorker(connectString: string, namespace: string, count: number): Promise<void> {
  const clients: ConfigClient[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () => createConfigClient({ connectString, namespace, sessionTimeoutMs: 30_000, startupTimeoutMs: 60_000 })),
    );
    await Promise.all(batch.map((c) => c.file('app.properties').ready()));
    clients.push(...batch);
  }
  for (const c of clients) {
    c.file('app.properties').on('change', ({ changes }) => {
      const at = nowAbs();
      const seq = Number(changes.find((ch) => ch.key === 'seq')?.newValue);
      process.send!({ type: 'change', seq, at });
    });
  }
  process.send!({ type: 'ready' });
  process.on('disconnect', () => {
    void Promise.all(clients.map((c) => c.close())).finally(() => process.exit(0));
  });
}

/**
 * Pushes `writes` versions of one config file to `subscribers` SDK clients (in worker processes) through the server
 * at `connectString`, one write at a time, and returns each subscriber's latency per write in ms (direct setData sent →
 * the subscriber's 'change' callback).
 */
export async function measurePush(connectString: string, subscribers: number, writes: number): Promise<number[]> {
  // A fresh namespace per call, so repeated runs against one server do not see each other's subscribers.
  const namespace = `bench${subscribers}x${Date.now().toString(36)}`;
  const path = `/configs/${namespace}/app.properties`;
  const admin = await ZkClient.connect(connectString, { sessionTimeout: 30_000 });
  await ensurePath(admin, `/configs/${namespace}`);
  await admin.create(path, 'seq=0\n').catch(() => undefined);
  await admin.setData(path, 'seq=0\n');

  const latencies: number[] = [];
  const sentAt = new Map<number, number>();
  let received = 0;
  let wake: (() => void) | null = null;
  const onChange = (seq: number, at: number): void => {
    const t0 = sentAt.get(seq);
    if (t0 !== undefined) latencies.push(at - t0);
    if (++received === subscribers) wake?.();
  };
  const n = workerCount(subscribers);
  const workers = Array.from({ length: n }, (_, i) => {
    const count = Math.floor(subscribers / n) + (i < subscribers % n ? 1 : 0);
    return startWorker(connectString, namespace, count, onChange);
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (let seq = 1; seq <= writes; seq++) {
      received = 0;
      const allArrived = new Promise<void>((resolve) => (wake = resolve));
      sentAt.set(seq, nowAbs());
      await admin.setData(path, `seq=${seq}\n`);
      await allArrived;
    }
  } finally {
    for (const w of workers) w.proc.disconnect();
    await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once('exit', r)))));
    await admin.close();
  }
  return latencies;
}


if (process.argv[2] === WORKER_FLAG && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runWorker(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
}
