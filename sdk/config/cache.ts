/**
 * The local disk cache of config files: one JSON document per file, replaced atomically (temp file, fsync,
 * rename, fsync of the directory) so a crash leaves either the previous version or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface CachedFile {
  namespace: string;
  file: string;
  exists: boolean;
  /** The .properties text as the ensemble served it ('' when the file does not exist). */
  text: string;
  /** The znode's data version (-1 when the file does not exist). */
  version: number;
  /** The znode's mzxid, as a decimal string because JSON has no bigint. */
  mzxid: string;
  savedAt: string;
}

export class DiskCache {
  /** Writes per file are chained so an older version can never be renamed over a newer one. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  pathFor(namespace: string, file: string): string {
    // znode names may hold characters a file system dislikes; encoding keeps one file per (namespace, file).
    return path.join(this.dir, encodeURIComponent(namespace), `${encodeURIComponent(file)}.json`);
  }

  async read(namespace: string, file: string): Promise<CachedFile | null> {
    let raw: string;
    try {
      raw = await fs.readFile(this.pathFor(namespace, file), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const parsed = JSON.parse(raw) as Partial<CachedFile>;
    if (typeof parsed.text !== 'string' || typeof parsed.version !== 'number' || typeof parsed.exists !== 'boolean') {
      throw new Error(`config cache ${this.pathFor(namespace, file)} is not a cache document`);
    }
    return parsed as CachedFile;
  }

  write(entry: Omit<CachedFile, 'savedAt'>): Promise<void> {
    const target = this.pathFor(entry.namespace, entry.file);
    const previous = this.writes.get(target) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => writeAtomically(target, JSON.stringify({ ...entry, savedAt: new Date().toISOString() }, null, 2) + '\n'));
    this.writes.set(target, next);
    void next.finally(() => {
      if (this.writes.get(target) === next) this.writes.delete(target);
    }).catch(() => undefined);
    return next;
  }

  /** Resolves once every write issued so far has landed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }
}

export async function writeAtomically(target: string, content: string): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  // The rename itself is only durable once the directory entry is.
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
