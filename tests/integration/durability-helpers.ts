/**
 * Shared by the durability tests: a pipelined raw writer whose every op is checked against a model, and a reader
 * that captures a subtree (data + version of every node) through our client.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateRequestCodec,
  DeleteRequestCodec,
  ErrorCode,
  JuteReader,
  OpCode,
  SetDataRequestCodec,
  StatCodec,
  type JuteWriter,
} from '../../ensemble/jute/index.ts';
import { ZkClient } from '../../ensemble/client/index.ts';
import { RawClient } from './server-raw-client.ts';

export const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export interface NodeState {
  data: string;
  version: number;
}
/** path → state, for the nodes under a test's root (the root itself excluded). */
export type TreeModel = Map<string, NodeState>;

export type WriteOp =
  | { type: 'create'; path: string; data: string }
  | { type: 'setData'; path: string; data: string; version: number }
  | { type: 'delete'; path: string; version: number };

/** The model after `op`, which must succeed against it (only this writer touches the root). */
export function applyOp(model: TreeModel, op: WriteOp): void {
  switch (op.type) {
    case 'create':
      if (model.has(op.path)) throw new Error(`model: ${op.path} exists`);
      model.set(op.path, { data: op.data, version: 0 });
      return;
    case 'setData': {
      const n = model.get(op.path);
      if (!n || n.version !== op.version) throw new Error(`model: setData ${op.path} v${op.version} does not apply`);
      model.set(op.path, { data: op.data, version: n.version + 1 });
      return;
    }
    case 'delete':
      if (model.get(op.path)?.version !== op.version) throw new Error(`model: delete ${op.path} does not apply`);
      model.delete(op.path);
      return;
  }
}

export function encodeOp(op: WriteOp): { type: number; body: (w: JuteWriter) => void } {
  switch (op.type) {
    case 'create':
      return { type: OpCode.create, body: (w) => CreateRequestCodec.write(w, { path: op.path, data: Buffer.from(op.data), acl: OPEN_ACL, flags: 0 }) };
    case 'setData':
      return { type: OpCode.setData, body: (w) => SetDataRequestCodec.write(w, { path: op.path, data: Buffer.from(op.data), version: op.version }) };
    case 'delete':
      return { type: OpCode.delete, body: (w) => DeleteRequestCodec.write(w, { path: op.path, version: op.version }) };
  }
}

export interface WriteRun {
  /** Ops answered OK, in order (FIFO: always a prefix of `sent`). */
  answered: WriteOp[];
  /** Every op sent, in order. */
  sent: WriteOp[];
  /** Replies that were not OK (must stay empty). */
  failures: string[];
}

/**
 * Writes as fast as the node answers, keeping `window` requests in flight, until the connection breaks or
 * `stop()` returns true (then the ops in flight are waited for). `nextOp(optimistic)` picks the next op against the model of everything sent so far.
 */
export async function writeUntilBroken(
  client: RawClient,
  optimistic: TreeModel,
  nextOp: (optimistic: TreeModel) => WriteOp,
  opts: { window: number; stop?: () => boolean },
): Promise<WriteRun> {
  const run: WriteRun = { answered: [], sent: [], failures: [] };
  const xids: number[] = [];
  let seen = client.received.length;
  const outstanding = () => run.sent.length - run.answered.length - run.failures.length;
  // After `stop()`, the ops already sent are still waited for.
  while (!client.closed) {
    const stopping = opts.stop?.() ?? false;
    if (stopping && outstanding() === 0) break;
    while (!stopping && outstanding() < opts.window && !client.closed) {
      const op = nextOp(optimistic);
      applyOp(optimistic, op);
      const { type, body } = encodeOp(op);
      xids.push(client.send(type, body));
      run.sent.push(op);
    }
    try {
      await client.until(() => client.received.length > seen || client.closed, 10_000);
    } catch {
      break;
    }
    for (; seen < client.received.length; seen++) {
      const m = client.received[seen]!;
      if (m.kind !== 'reply') continue;
      const i = run.answered.length + run.failures.length;
      if (m.header.xid !== xids[i]) run.failures.push(`reply xid ${m.header.xid}, expected ${xids[i]}`);
      else if (m.header.err !== ErrorCode.OK) run.failures.push(`${JSON.stringify(run.sent[i])} failed with ${m.header.err}`);
      else {
        const op = run.sent[i]!;
        if (op.type === 'setData') {
          const stat = StatCodec.read(new JuteReader(m.body));
          if (stat.version !== op.version + 1) run.failures.push(`setData ${op.path} answered version ${stat.version}`);
        }
        run.answered.push(op);
      }
    }
  }
  return run;
}

/** Data and version of every node under `root` (recursively), read through our client. */
export async function readSubtree(connectString: string, root: string): Promise<TreeModel> {
  const zk = await ZkClient.connect(connectString, { sessionTimeout: 10_000 });
  try {
    const out: TreeModel = new Map();
    const walk = async (p: string): Promise<void> => {
      const children = await zk.getChildren(p);
      const paths = children.map((c) => (p === '/' ? `/${c}` : `${p}/${c}`));
      const reads = await Promise.all(paths.map((cp) => zk.getData(cp)));
      reads.forEach((r, i) => out.set(paths[i]!, { data: r.data?.toString() ?? '', version: r.stat.version }));
      await Promise.all(paths.map(walk));
    };
    await walk(root);
    return out;
  } finally {
    await zk.close();
  }
}

export function sameTree(a: TreeModel, b: TreeModel): boolean {
  if (a.size !== b.size) return false;
  for (const [p, n] of a) {
    const m = b.get(p);
    if (!m || m.data !== n.data || m.version !== n.version) return false;
  }
  return true;
}

export function describeDiff(actual: TreeModel, expected: TreeModel): string {
  const out: string[] = [];
  for (const [p, n] of expected) {
    const a = actual.get(p);
    if (!a) out.push(`missing ${p}`);
    else if (a.data !== n.data || a.version !== n.version) out.push(`${p}: ${a.data}@v${a.version}, expected ${n.data}@v${n.version}`);
  }
  for (const p of actual.keys()) if (!expected.has(p)) out.push(`unexpected ${p}`);
  return out.slice(0, 10).join('; ');
}

/** `version-2` files of a data dir, by prefix; a snapshot still being written (`snapshot.<zxid>.tmp`) is not one. */
export function dataFiles(dataDir: string, prefix: 'log.' | 'snapshot.'): string[] {
  const dir = path.join(dataDir, 'version-2');
  const named = new RegExp(`^${prefix.replace('.', '\\.')}[0-9a-f]+$`);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => named.test(f)).sort((x, y) => zxidOf(x) < zxidOf(y) ? -1 : 1) : [];
}

export function zxidOf(file: string): bigint {
  return BigInt('0x' + file.slice(file.indexOf('.') + 1));
}

export { seededRandom } from '../helpers/prng.ts';
