/**
 * TEST-ONLY disk faults, chosen by the `ZK_TEST_FAULTS` environment variable so that tests can inject them into a
 * real server process (docs/SECURITY.md). Never set it in production: it makes the disk lie.
 *
 *   ZK_TEST_FAULTS=fsync-eio-after:N        the first N fdatasync calls succeed, every later one fails with EIO
 *   ZK_TEST_FAULTS=enospc-after-bytes:N     after N bytes written in total, writes fail with ENOSPC (a write that
 *                                           crosses the limit writes what fits first, like a real full disk)
 *   ZK_TEST_FAULTS=crash-sim                SimulatedCrashFileSystem: unsynced bytes are lost with the process
 *   ZK_TEST_FAULTS=slow-read-ms:N           every file read waits N ms first (a slow disk: stretches recovery)
 *
 * Directives combine with commas, e.g. `crash-sim,fsync-eio-after:100`.
 */
import { SimulatedCrashFileSystem } from './crash-fs.ts';
import { nodeFileSystem, type FileSystem, type OpenMode, type StorageFile } from './fs.ts';
import { errnoError } from './instrumented-fs.ts';

export const TEST_FAULTS_ENV = 'ZK_TEST_FAULTS';

export interface DiskFaultPlan {
  /** fdatasync calls allowed to succeed; null = no EIO. */
  fsyncEioAfter: number | null;
  /** Bytes that may be written; null = no ENOSPC. */
  enospcAfterBytes: number | null;
  crashSim: boolean;
  /** Delay before every read (absent: none). */
  slowReadMs?: number;
}

export function parseDiskFaults(spec: string): DiskFaultPlan {
  const plan: DiskFaultPlan = { fsyncEioAfter: null, enospcAfterBytes: null, crashSim: false };
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, arg] = item.split(':');
    const count = (): number => {
      const n = Number(arg);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${TEST_FAULTS_ENV}: '${item}' needs a non-negative integer`);
      return n;
    };
    if (name === 'fsync-eio-after') plan.fsyncEioAfter = count();
    else if (name === 'enospc-after-bytes') plan.enospcAfterBytes = count();
    else if (name === 'crash-sim' && arg === undefined) plan.crashSim = true;
    else if (name === 'slow-read-ms') plan.slowReadMs = count();
    else throw new Error(`${TEST_FAULTS_ENV}: unknown fault '${item}'`);
  }
  return plan;
}

/** A FileSystem that fails fdatasync with EIO and writes with ENOSPC as the plan says. */
export class FaultyDisk implements FileSystem {
  private syncs = 0;
  private written = 0;

  constructor(
    private readonly plan: DiskFaultPlan,
    private readonly inner: FileSystem,
  ) {}

  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    const file = await this.inner.open(path, mode);
    const disk = this;
    return {
      async write(data, position) {
        const room = disk.plan.enospcAfterBytes === null ? Infinity : Math.max(0, disk.plan.enospcAfterBytes - disk.written);
        if (data.length <= room) {
          disk.written += data.length;
          return file.write(data, position);
        }
        if (room > 0) await file.write(data.subarray(0, room), position);
        disk.written += room;
        throw errnoError('ENOSPC', 'write', path);
      },
      async read(length, position) {
        if (disk.plan.slowReadMs) await new Promise((r) => setTimeout(r, disk.plan.slowReadMs));
        return file.read(length, position);
      },
      async datasync() {
        if (disk.plan.fsyncEioAfter !== null && disk.syncs++ >= disk.plan.fsyncEioAfter) throw errnoError('EIO', 'datasync', path);
        return file.datasync();
      },
      sync: () => file.sync(),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      allocation: async () => (await file.allocation?.()) ?? null,
      close: () => file.close(),
    };
  }

  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  mkdirp(dir: string): Promise<void> {
    return this.inner.mkdirp(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }
  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir);
  }
  sizeOf(path: string): Promise<number | null> {
    return this.inner.sizeOf(path);
  }
}

/** The file system a Storage opened without an explicit one uses: the real one unless ZK_TEST_FAULTS says otherwise. */
export function fileSystemFromEnv(env: Record<string, string | undefined> = process.env, log?: (msg: string) => void): FileSystem {
  const spec = env[TEST_FAULTS_ENV];
  if (!spec) return nodeFileSystem;
  const plan = parseDiskFaults(spec);
  log?.(`WARNING: ${TEST_FAULTS_ENV}=${spec}: test-only disk fault injection is active`);
  const base = plan.crashSim ? new SimulatedCrashFileSystem(nodeFileSystem) : nodeFileSystem;
  return plan.fsyncEioAfter === null && plan.enospcAfterBytes === null && !plan.slowReadMs ? base : new FaultyDisk(plan, base);
}
