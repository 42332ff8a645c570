/**
 * A FileSystem wrapper that counts every operation and can make chosen ones fail (EIO, ENOSPC...).
 * Tests use it to count fsyncs and to check that failures are fatal; fault-injection suites can build on it.
 */
import { nodeFileSystem, type FileSystem, type OpenMode, type StorageFile } from './fs.ts';

export type FileOp =
  | 'open'
  | 'write'
  | 'read'
  | 'datasync'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'list'
  | 'mkdirp'
  | 'rename'
  | 'remove'
  | 'syncDir'
  | 'sizeOf';

/** Returns the error an operation should fail with, or null to let it run. */
export type FaultRule = (op: FileOp, path: string) => Error | null;

export function errnoError(code: string, op: FileOp, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected failure, ${op} '${path}'`);
  err.code = code;
  return err;
}

export class InstrumentedFileSystem implements FileSystem {
  readonly counts = new Map<FileOp, number>();
  faults: FaultRule | null = null;

  constructor(private readonly inner: FileSystem = nodeFileSystem) {}

  count(op: FileOp): number {
    return this.counts.get(op) ?? 0;
  }

  resetCounts(): void {
    this.counts.clear();
  }

  /** Counts the op, then throws if a fault rule says so. */
  private check(op: FileOp, path: string): void {
    this.counts.set(op, this.count(op) + 1);
    const fault = this.faults?.(op, path);
    if (fault) throw fault;
  }

  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    this.check('open', path);
    const file = await this.inner.open(path, mode);
    const check = (op: FileOp): void => this.check(op, path);
    return {
      async write(data, position) {
        check('write');
        return file.write(data, position);
      },
      async read(length, position) {
        check('read');
        return file.read(length, position);
      },
      async datasync() {
        check('datasync');
        return file.datasync();
      },
      async sync() {
        check('sync');
        return file.sync();
      },
      async truncate(length) {
        check('truncate');
        return file.truncate(length);
      },
      async size() {
        check('size');
        return file.size();
      },
      async allocation() {
        check('size');
        return (await file.allocation?.()) ?? null;
      },
      async close() {
        check('close');
        return file.close();
      },
    };
  }

  async list(dir: string): Promise<string[]> {
    this.check('list', dir);
    return this.inner.list(dir);
  }

  async mkdirp(dir: string): Promise<void> {
    this.check('mkdirp', dir);
    return this.inner.mkdirp(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    return this.inner.rename(from, to);
  }

  async remove(path: string): Promise<void> {
    this.check('remove', path);
    return this.inner.remove(path);
  }

  async syncDir(dir: string): Promise<void> {
    this.check('syncDir', dir);
    return this.inner.syncDir(dir);
  }

  async sizeOf(path: string): Promise<number | null> {
    this.check('sizeOf', path);
    return this.inner.sizeOf(path);
  }
}
