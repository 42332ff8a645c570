/**
 * SimulatedCrashFileSystem: a FileSystem whose written bytes stay in this process's memory until the file is
 * fdatasync'ed / fsync'ed; only then do they reach the real file. So an "unsynced" overlay dies with the process
 * (kill -9) or with `crash()` — which is what a power cut does to the page cache, and what kill -9 of a process on
 * the plain file system cannot show (the kernel keeps its dirty pages). A test that loses an acknowledged write
 * under this shim has found a missing sync. Reads, sizes, renames and removes see the overlay, as they would see
 * the page cache. File creation, truncation and directory entries are not simulated: they hit the disk at once.
 * Test-only (docs/SECURITY.md): nothing in production constructs it.
 */
import { nodeFileSystem, type FileSystem, type OpenMode, type StorageFile } from './fs.ts';

interface PendingWrite {
  position: number;
  data: Buffer;
}

/** Unsynced writes of one path, oldest first. */
class Overlay {
  writes: PendingWrite[] = [];

  get end(): number {
    let end = 0;
    for (const w of this.writes) end = Math.max(end, w.position + w.data.length);
    return end;
  }

  truncate(length: number): void {
    this.writes = this.writes
      .filter((w) => w.position < length)
      .map((w) => (w.position + w.data.length <= length ? w : { position: w.position, data: w.data.subarray(0, length - w.position) }));
  }

  /** Lays the overlay over `buf`, which holds the file's bytes from `position`. */
  applyTo(buf: Buffer, position: number): void {
    for (const w of this.writes) {
      const from = Math.max(w.position, position);
      const to = Math.min(w.position + w.data.length, position + buf.length);
      if (from < to) w.data.copy(buf, from - position, from - w.position, to - w.position);
    }
  }
}

export class SimulatedCrashFileSystem implements FileSystem {
  private readonly overlays = new Map<string, Overlay>();

  constructor(private readonly inner: FileSystem = nodeFileSystem) {}

  /** Bytes written and not yet synced, over every file. */
  get unsyncedBytes(): number {
    let n = 0;
    for (const o of this.overlays.values()) for (const w of o.writes) n += w.data.length;
    return n;
  }

  /** The power cut: every unsynced write is forgotten. Handles still open keep working on what the disk holds. */
  crash(): void {
    this.overlays.clear();
  }

  private overlay(path: string): Overlay {
    let o = this.overlays.get(path);
    if (!o) this.overlays.set(path, (o = new Overlay()));
    return o;
  }

  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    const file = await this.inner.open(path, mode);
    if (mode === 'createNew') this.overlays.delete(path);
    const fs = this;
    const flush = async (): Promise<void> => {
      const o = fs.overlays.get(path);
      if (!o) return;
      fs.overlays.delete(path);
      for (const w of o.writes) await file.write(w.data, w.position);
    };
    const size = async (): Promise<number> => Math.max(await file.size(), fs.overlays.get(path)?.end ?? 0);
    return {
      async write(data, position) {
        fs.overlay(path).writes.push({ position, data: Buffer.from(data) });
      },
      async read(length, position) {
        const n = Math.max(0, Math.min(length, (await size()) - position));
        const buf = Buffer.alloc(n);
        const disk = await file.read(n, position);
        disk.copy(buf);
        fs.overlays.get(path)?.applyTo(buf, position);
        return buf;
      },
      async datasync() {
        await flush();
        await file.datasync();
      },
      async sync() {
        await flush();
        await file.sync();
      },
      async truncate(length) {
        fs.overlays.get(path)?.truncate(length);
        await file.truncate(length);
      },
      size,
      // Unsynced writes are not on the disk's blocks: while any are pending, the disk's count does not cover them.
      async allocation() {
        return fs.overlays.has(path) ? null : ((await file.allocation?.()) ?? null);
      },
      async close() {
        // The overlay outlives the handle, as the page cache outlives a close(): only a sync makes it durable.
        await file.close();
      },
    };
  }

  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }

  mkdirp(dir: string): Promise<void> {
    return this.inner.mkdirp(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    const o = this.overlays.get(from);
    this.overlays.delete(from);
    if (o) this.overlays.set(to, o);
    else this.overlays.delete(to);
  }

  async remove(path: string): Promise<void> {
    await this.inner.remove(path);
    this.overlays.delete(path);
  }

  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir);
  }

  async sizeOf(path: string): Promise<number | null> {
    const size = await this.inner.sizeOf(path);
    if (size === null) return null;
    return Math.max(size, this.overlays.get(path)?.end ?? 0);
  }
}
