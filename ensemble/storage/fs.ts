/**
 * The storage layer's only door to the disk. Every read, write, sync and rename goes through a
 * `FileSystem`, so tests can count fsyncs, inject EIO/ENOSPC, or drop unsynced bytes to simulate a crash.
 */
import fsp from 'node:fs/promises';

export interface StorageFile {
  /** Writes all of `data` at byte `position`. */
  write(data: Buffer, position: number): Promise<void>;
  /** Reads up to `length` bytes at `position`; fewer at end of file. */
  read(length: number, position: number): Promise<Buffer>;
  /** fdatasync(2): the data and the metadata needed to read it back. */
  datasync(): Promise<void>;
  /** fsync(2): data and all metadata. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  /**
   * Bytes the file system has allocated to the file (st_blocks × 512) and its block size, or null when unknown.
   * Lets a reader skip a hole without reading it (see readLogFile); a wrapper that cannot vouch for it omits it.
   */
  allocation?(): Promise<FileAllocation | null>;
  close(): Promise<void>;
}

export interface FileAllocation {
  bytes: number;
  blockSize: number;
}

/** `read`: existing file, read only. `readWrite`: existing file. `createNew`: fails if the file exists. */
export type OpenMode = 'read' | 'readWrite' | 'createNew';

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  /** Entry names of a directory (not paths). */
  list(dir: string): Promise<string[]>;
  mkdirp(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  remove(path: string): Promise<void>;
  /** fsync of a directory, so that creates, renames and removes in it survive a crash. */
  syncDir(dir: string): Promise<void>;
  /** Size in bytes, or null when the file does not exist. */
  sizeOf(path: string): Promise<number | null>;
}

const OPEN_FLAGS: Record<OpenMode, string> = { read: 'r', readWrite: 'r+', createNew: 'wx+' };

class NodeFile implements StorageFile {
  constructor(private readonly handle: fsp.FileHandle) {}

  async write(data: Buffer, position: number): Promise<void> {
    let done = 0;
    // A regular-file write is normally complete in one call; the loop covers the rare short write.
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`short write at ${position + done}`);
      done += bytesWritten;
    }
  }

  async read(length: number, position: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async allocation(): Promise<FileAllocation | null> {
    const { blocks, blksize } = await this.handle.stat();
    return Number.isFinite(blocks) && blksize > 0 ? { bytes: blocks * 512, blockSize: blksize } : null;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeFileSystem: FileSystem = {
  async open(path, mode) {
    return new NodeFile(await fsp.open(path, OPEN_FLAGS[mode]));
  },
  list(dir) {
    return fsp.readdir(dir);
  },
  async mkdirp(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  rename(from, to) {
    return fsp.rename(from, to);
  },
  async remove(path) {
    await fsp.rm(path, { force: true });
  },
  async syncDir(dir) {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async sizeOf(path) {
    try {
      return (await fsp.stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
};

/** Reads a whole file through the seam. */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Buffer> {
  const file = await fs.open(path, 'read');
  try {
    return await file.read(await file.size(), 0);
  } finally {
    await file.close();
  }
}

/**
 * Replaces `path` with `data` so a crash leaves either the old or the new content, never a mix:
 * temp file, fsync, rename, fsync of the directory.
 */
export async function writeFileAtomically(fs: FileSystem, dir: string, name: string, data: Buffer): Promise<void> {
  const finalPath = `${dir}/${name}`;
  const tempPath = `${finalPath}.tmp`;
  await fs.remove(tempPath);
  const file = await fs.open(tempPath, 'createNew');
  try {
    await file.write(data, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tempPath, finalPath);
  await fs.syncDir(dir);
}
