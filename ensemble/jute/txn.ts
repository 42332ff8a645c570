/**
 * Binary form of a Txn (ensemble/tree/api.ts) for the transaction log and for ZAB proposals.
 * Serialised once per transaction; the same bytes go to disk and to every follower.
 */
import { JuteReader, JuteWriter, JuteError } from './buffer.ts';
import { ACLCodec, IdCodec } from './records.ts';
import type { Txn, TxnOp, WriteOp } from '../tree/api.ts';

const TXN_FORMAT = 1;

const enum Tag {
  create = 1,
  delete = 2,
  setData = 3,
  check = 4,
  setACL = 5,
  multi = 6,
  createSession = 7,
  closeSession = 8,
  deleteContainer = 9,
  deleteExpiredTTL = 10,
}

function writeOp(w: JuteWriter, op: TxnOp): void {
  switch (op.type) {
    case 'create':
      w.int(Tag.create).int(op.opcode).string(op.path).buffer(op.data);
      w.vector(op.acl, ACLCodec.write).int(op.flags).long(op.ttl);
      return;
    case 'delete':
      w.int(Tag.delete).string(op.path).int(op.version);
      return;
    case 'setData':
      w.int(Tag.setData).string(op.path).buffer(op.data).int(op.version);
      return;
    case 'check':
      w.int(Tag.check).string(op.path).int(op.version);
      return;
    case 'setACL':
      w.int(Tag.setACL).string(op.path).vector(op.acl, ACLCodec.write).int(op.version);
      return;
    case 'multi':
      w.int(Tag.multi).vector(op.ops, writeOp);
      return;
    case 'createSession':
      w.int(Tag.createSession).int(op.timeout).buffer(op.password);
      return;
    case 'closeSession':
      w.int(Tag.closeSession);
      return;
    case 'deleteContainer':
      w.int(Tag.deleteContainer).string(op.path);
      return;
    case 'deleteExpiredTTL':
      w.int(Tag.deleteExpiredTTL).string(op.path);
      return;
  }
}

function str(r: JuteReader): string {
  const s = r.string();
  if (s === null) throw new JuteError('null path in txn');
  return s;
}

function readOp(r: JuteReader, nested: boolean): TxnOp {
  const tag = r.int();
  switch (tag) {
    case Tag.create: {
      const opcode = r.int();
      if (opcode !== 1 && opcode !== 15 && opcode !== 19 && opcode !== 21) throw new JuteError(`bad create opcode ${opcode}`);
      return { type: 'create', opcode, path: str(r), data: r.buffer(), acl: r.vector(ACLCodec.read) ?? [], flags: r.int(), ttl: r.long() };
    }
    case Tag.delete:
      return { type: 'delete', path: str(r), version: r.int() };
    case Tag.setData:
      return { type: 'setData', path: str(r), data: r.buffer(), version: r.int() };
    case Tag.check:
      return { type: 'check', path: str(r), version: r.int() };
    case Tag.setACL:
      return { type: 'setACL', path: str(r), acl: r.vector(ACLCodec.read) ?? [], version: r.int() };
    case Tag.multi: {
      if (nested) throw new JuteError('nested multi in txn');
      const ops = r.vector((rr) => readOp(rr, true)) ?? [];
      for (const op of ops) {
        if (op.type !== 'create' && op.type !== 'delete' && op.type !== 'setData' && op.type !== 'check') {
          throw new JuteError(`op ${op.type} not allowed in multi`);
        }
      }
      return { type: 'multi', ops: ops as WriteOp[] };
    }
    case Tag.createSession:
      return { type: 'createSession', timeout: r.int(), password: r.buffer() ?? Buffer.alloc(0) };
    case Tag.closeSession:
      return { type: 'closeSession' };
    case Tag.deleteContainer:
      return { type: 'deleteContainer', path: str(r) };
    case Tag.deleteExpiredTTL:
      return { type: 'deleteExpiredTTL', path: str(r) };
    default:
      throw new JuteError(`unknown txn op tag ${tag}`);
  }
}

export function writeTxn(w: JuteWriter, txn: Txn): void {
  w.int(TXN_FORMAT).long(txn.hdr.sessionId).int(txn.hdr.cxid).long(txn.hdr.zxid).long(txn.hdr.time);
  w.vector(txn.auth, IdCodec.write);
  writeOp(w, txn.op);
}

export function encodeTxn(txn: Txn): Buffer {
  const w = new JuteWriter(128);
  writeTxn(w, txn);
  // Kept in ZAB's in-memory log until it is trimmed: a slice of Node's shared pool would pin a whole slab.
  return w.toOwnedBuffer();
}

export function decodeTxn(buf: Buffer): Txn {
  const r = new JuteReader(buf);
  const format = r.int();
  if (format !== TXN_FORMAT) throw new JuteError(`unknown txn format ${format}`);
  const hdr = { sessionId: r.long(), cxid: r.int(), zxid: r.long(), time: r.long() };
  const auth = r.vector(IdCodec.read) ?? [];
  const op = readOp(r, false);
  if (r.remaining !== 0) throw new JuteError(`${r.remaining} trailing bytes after txn`);
  return { hdr, auth, op };
}
