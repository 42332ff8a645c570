/** What a server process costs, read from Linux /proc: resident memory and CPU time. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { fourLetterWord } from '../tests/helpers/ports.ts';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on.

/** Resident set size in bytes, or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields after it are fixed. utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU used by `pids` together over `ms`, as a percentage of one core. */
export async function cpuPercent(pids: number[], ms: number): Promise<number> {
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const elapsed = (performance.now() - t0) / 1000;
  const used = pids.reduce((sum, pid, i) => sum + (cpuSeconds(pid) - before[i]!), 0);
  return (used / elapsed) * 100;
}

const run = promisify(execFile);

/**
 * Live heap after a full GC for a JVM (jcmd GC.run, then GC.heap_info), in bytes; NaN without jcmd.
 */
export async function jvmLiveHeapBytes(pid: number): Promise<number> {
  try {
    await run('jcmd', [String(pid), 'GC.run'], { timeout: 30_000 });
    const { stdout } = await run('jcmd', [String(pid), 'GC.heap_info'], { timeout: 30_000 });
    const m = /total \d+K, used (\d+)K/.exec(stdout);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Live heap of one of our nodes after a full GC (V8 used heap plus ArrayBuffers, from `envi`, whole MB): SIGUSR2 makes
 * a node started with --expose-gc collect (see startOurs), as `jcmd GC.run` does for ZooKeeper's figure.
 */
export async function ourHeapBytes(address: string, pid: number): Promise<number> {
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return NaN;
  }
  // The collection runs on the node's event loop; a full GC of a few hundred MB takes well under a second.
  await new Promise((r) => setTimeout(r, 1500));
  const port = Number(address.split(':')[1]);
  const out = await fourLetterWord(port, 'envi', '127.0.0.1', 5000).catch(() => '');
  const total = /os\.memory\.total=(\d+)MB/.exec(out);
  const free = /os\.memory\.free=(\d+)MB/.exec(out);
  const buffers = /node\.memory\.arrayBuffers=(\d+)MB/.exec(out);
  // Znode data is in ArrayBuffers, off V8's heap; ZooKeeper's byte[] is on its heap, so count both.
  return total && free ? (Number(total[1]) - Number(free[1]) + Number(buffers?.[1] ?? 0)) * 2 ** 20 : NaN;
}
