/**
 * `acceptedEpoch` and `currentEpoch`: ZAB's promises to the ensemble, so they must survive crashes exactly.
 * Text holding a decimal number (as ZooKeeper writes them), replaced atomically.
 */
import { writeFileAtomically, readWholeFile, type FileSystem } from './fs.ts';
import { ACCEPTED_EPOCH_FILE, CURRENT_EPOCH_FILE } from './file-names.ts';

export type EpochKind = 'accepted' | 'current';

const FILE_NAMES: Record<EpochKind, string> = { accepted: ACCEPTED_EPOCH_FILE, current: CURRENT_EPOCH_FILE };

export class EpochFiles {
  constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
  ) {}

  /** The stored epoch, or null if the file does not exist yet (a fresh node). */
  async read(kind: EpochKind): Promise<bigint | null> {
    const path = `${this.dir}/${FILE_NAMES[kind]}`;
    if ((await this.fs.sizeOf(path)) === null) return null;
    const text = (await readWholeFile(this.fs, path)).toString('utf8').trim();
    if (!/^-?\d+$/.test(text)) throw new Error(`${path} does not hold a number: ${JSON.stringify(text.slice(0, 40))}`);
    return BigInt(text);
  }

  async write(kind: EpochKind, epoch: bigint): Promise<void> {
    await writeFileAtomically(this.fs, this.dir, FILE_NAMES[kind], Buffer.from(epoch.toString(), 'utf8'));
  }
}
