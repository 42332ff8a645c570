/**
 * Turns a request frame's body into what the pipeline acts on: a write (becomes a Txn) or a local read.
 * Decoding throws JuteError on a malformed body; the pipeline answers MARSHALLINGERROR.
 */
import {
  AddWatchRequestCodec,
  CheckVersionRequestCodec,
  CheckWatchesRequestCodec,
  CreateRequestCodec,
  CreateTTLRequestCodec,
  DeleteRequestCodec,
  GetEphemeralsRequestCodec,
  JuteError,
  JuteReader,
  ErrorCode,
  OpCode,
  PathRequestCodec,
  PathWatchRequestCodec,
  SetACLRequestCodec,
  SetDataRequestCodec,
  SetWatches2Codec,
  SetWatchesCodec,
  readMultiRequest,
  type MultiOp,
  type PathWatchRequest,
  type SetWatches2,
} from '../jute/index.ts';
import type { TxnOp, WriteOp } from '../tree/api.ts';

export type ReadRequest =
  | { kind: 'exists' | 'getData' | 'getChildren' | 'getChildren2'; req: PathWatchRequest }
  | { kind: 'getACL' | 'sync' | 'getAllChildrenNumber'; path: string }
  | { kind: 'getEphemerals'; prefix: string }
  | { kind: 'checkWatches' | 'removeWatches'; path: string; watcherType: number }
  | { kind: 'addWatch'; path: string; mode: number }
  | { kind: 'setWatches'; req: SetWatches2 }
  | { kind: 'multiRead'; ops: MultiOp[] }
  | { kind: 'whoAmI' | 'ping' | 'sasl' | 'reconfig' }
  /** A request a client may not make, answered with `err` (ZooKeeper refuses client deleteContainer). */
  | { kind: 'refused'; err: number };

export type DecodedRequest = { kind: 'write'; op: TxnOp } | { kind: 'read'; read: ReadRequest } | { kind: 'unknown' };

function multiOpToWrite(op: MultiOp): WriteOp {
  switch (op.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return { type: 'create', opcode: op.type, path: op.req.path, data: op.req.data, acl: op.req.acl, flags: op.req.flags, ttl: 0n };
    case OpCode.createTTL:
      return { type: 'create', opcode: op.type, path: op.req.path, data: op.req.data, acl: op.req.acl, flags: op.req.flags, ttl: op.req.ttl };
    case OpCode.delete:
      return { type: 'delete', path: op.req.path, version: op.req.version };
    case OpCode.setData:
      return { type: 'setData', path: op.req.path, data: op.req.data, version: op.req.version };
    case OpCode.check:
      return { type: 'check', path: op.req.path, version: op.req.version };
    default:
      // ZooKeeper's MultiOperationRecord refuses to mix reads into a transaction.
      throw new JuteError('Mixing read and write operations (transaction and read ops) in a multi request is not supported');
  }
}

export function decodeRequest(type: number, body: Buffer): DecodedRequest {
  const r = new JuteReader(body);
  const write = (op: TxnOp): DecodedRequest => ({ kind: 'write', op });
  const read = (rq: ReadRequest): DecodedRequest => ({ kind: 'read', read: rq });
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const q = CreateRequestCodec.read(r);
      return write({ type: 'create', opcode: type, path: q.path, data: q.data, acl: q.acl, flags: q.flags, ttl: 0n });
    }
    case OpCode.createTTL: {
      const q = CreateTTLRequestCodec.read(r);
      return write({ type: 'create', opcode: type, path: q.path, data: q.data, acl: q.acl, flags: q.flags, ttl: q.ttl });
    }
    case OpCode.delete: {
      const q = DeleteRequestCodec.read(r);
      return write({ type: 'delete', path: q.path, version: q.version });
    }
    case OpCode.deleteContainer:
      // Only the server's container manager may delete containers; ZooKeeper answers clients BADARGUMENTS.
      PathRequestCodec.read(r);
      return read({ kind: 'refused', err: ErrorCode.BADARGUMENTS });
    case OpCode.setData: {
      const q = SetDataRequestCodec.read(r);
      return write({ type: 'setData', path: q.path, data: q.data, version: q.version });
    }
    case OpCode.setACL: {
      const q = SetACLRequestCodec.read(r);
      return write({ type: 'setACL', path: q.path, acl: q.acl, version: q.version });
    }
    case OpCode.check: {
      const q = CheckVersionRequestCodec.read(r);
      return write({ type: 'check', path: q.path, version: q.version });
    }
    case OpCode.multi:
      return write({ type: 'multi', ops: readMultiRequest(r).map(multiOpToWrite) });
    case OpCode.closeSession:
      return write({ type: 'closeSession' });
    case OpCode.exists:
      return read({ kind: 'exists', req: PathWatchRequestCodec.read(r) });
    case OpCode.getData:
      return read({ kind: 'getData', req: PathWatchRequestCodec.read(r) });
    case OpCode.getChildren:
      return read({ kind: 'getChildren', req: PathWatchRequestCodec.read(r) });
    case OpCode.getChildren2:
      return read({ kind: 'getChildren2', req: PathWatchRequestCodec.read(r) });
    case OpCode.getACL:
      return read({ kind: 'getACL', path: PathRequestCodec.read(r).path });
    case OpCode.sync:
      return read({ kind: 'sync', path: PathRequestCodec.read(r).path });
    case OpCode.getAllChildrenNumber:
      return read({ kind: 'getAllChildrenNumber', path: PathRequestCodec.read(r).path });
    case OpCode.getEphemerals:
      return read({ kind: 'getEphemerals', prefix: GetEphemeralsRequestCodec.read(r).prefixPath });
    case OpCode.checkWatches:
    case OpCode.removeWatches: {
      const q = CheckWatchesRequestCodec.read(r);
      return read({ kind: type === OpCode.checkWatches ? 'checkWatches' : 'removeWatches', path: q.path, watcherType: q.type });
    }
    case OpCode.addWatch: {
      const q = AddWatchRequestCodec.read(r);
      return read({ kind: 'addWatch', path: q.path, mode: q.mode });
    }
    case OpCode.setWatches: {
      const q = SetWatchesCodec.read(r);
      return read({ kind: 'setWatches', req: { ...q, persistentWatches: [], persistentRecursiveWatches: [] } });
    }
    case OpCode.setWatches2:
      return read({ kind: 'setWatches', req: SetWatches2Codec.read(r) });
    case OpCode.multiRead: {
      const ops = readMultiRequest(r);
      if (ops.some((op) => op.type !== OpCode.getData && op.type !== OpCode.getChildren)) {
        throw new JuteError('Mixing read and write operations (transaction and read ops) in a multi request is not supported');
      }
      return read({ kind: 'multiRead', ops });
    }
    case OpCode.whoAmI:
      return read({ kind: 'whoAmI' });
    case OpCode.ping:
      return read({ kind: 'ping' });
    case OpCode.sasl:
      return read({ kind: 'sasl' });
    case OpCode.reconfig:
      return read({ kind: 'reconfig' });
    default:
      return { kind: 'unknown' };
  }
}

/** The short names `cons` shows as `lop=` (FinalRequestProcessor's lastOp). */
export const LAST_OP_NAMES: Record<number, string> = {
  [OpCode.create]: 'CREA',
  [OpCode.create2]: 'CREA',
  [OpCode.createContainer]: 'CREA',
  [OpCode.createTTL]: 'CREA',
  [OpCode.delete]: 'DELE',
  [OpCode.deleteContainer]: 'DELE',
  [OpCode.setData]: 'SETD',
  [OpCode.setACL]: 'SETA',
  [OpCode.check]: 'CHEC',
  [OpCode.multi]: 'MULT',
  [OpCode.multiRead]: 'MLTR',
  [OpCode.closeSession]: 'CLOS',
  [OpCode.sync]: 'SYNC',
  [OpCode.exists]: 'EXIS',
  [OpCode.getData]: 'GETD',
  [OpCode.getChildren]: 'GETC',
  [OpCode.getChildren2]: 'GETC',
  [OpCode.getACL]: 'GETA',
  [OpCode.getAllChildrenNumber]: 'GETACN',
  [OpCode.getEphemerals]: 'GETE',
  [OpCode.checkWatches]: 'CHKW',
  [OpCode.removeWatches]: 'REMW',
  [OpCode.addWatch]: 'ADDW',
  [OpCode.setWatches]: 'SETW',
  [OpCode.setWatches2]: 'STW2',
  [OpCode.whoAmI]: 'HOMI',
  [OpCode.ping]: 'PING',
  [OpCode.reconfig]: 'RECO',
};
