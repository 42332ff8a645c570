/** MultiRequest / MultiResponse: a sequence of (MultiHeader, record) pairs ended by a `done` header. */
import { JuteReader, JuteWriter, JuteError } from './buffer.ts';
import { ErrorCode, OpCode } from './constants.ts';
import {
  CheckVersionRequestCodec,
  Create2ResponseCodec,
  CreateRequestCodec,
  CreateResponseCodec,
  CreateTTLRequestCodec,
  DeleteRequestCodec,
  ErrorResponseCodec,
  GetChildrenResponseCodec,
  GetDataResponseCodec,
  MultiHeaderCodec,
  PathWatchRequestCodec,
  SetDataRequestCodec,
  SetDataResponseCodec,
  type CheckVersionRequest,
  type CreateRequest,
  type CreateTTLRequest,
  type DeleteRequest,
  type PathWatchRequest,
  type SetDataRequest,
  type Stat,
} from './records.ts';

export type MultiOp =
  | { type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer; req: CreateRequest }
  | { type: typeof OpCode.createTTL; req: CreateTTLRequest }
  | { type: typeof OpCode.delete; req: DeleteRequest }
  | { type: typeof OpCode.setData; req: SetDataRequest }
  | { type: typeof OpCode.check; req: CheckVersionRequest }
  | { type: typeof OpCode.getChildren | typeof OpCode.getData; req: PathWatchRequest };

export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete | typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.getData; data: Buffer | null; stat: Stat }
  | { type: typeof OpCode.error; err: number };

const DONE = { type: -1, done: true, err: -1 };

export function writeMultiRequest(w: JuteWriter, ops: readonly MultiOp[]): void {
  for (const op of ops) {
    MultiHeaderCodec.write(w, { type: op.type, done: false, err: -1 });
    switch (op.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        CreateRequestCodec.write(w, op.req);
        break;
      case OpCode.createTTL:
        CreateTTLRequestCodec.write(w, op.req);
        break;
      case OpCode.delete:
        DeleteRequestCodec.write(w, op.req);
        break;
      case OpCode.setData:
        SetDataRequestCodec.write(w, op.req);
        break;
      case OpCode.check:
        CheckVersionRequestCodec.write(w, op.req);
        break;
      case OpCode.getChildren:
      case OpCode.getData:
        PathWatchRequestCodec.write(w, op.req);
        break;
    }
  }
  MultiHeaderCodec.write(w, DONE);
}

/** Bounds the op count so a hostile multi cannot make us loop over a huge frame forever. */
const MAX_MULTI_OPS = 100_000;

export function readMultiRequest(r: JuteReader): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const h = MultiHeaderCodec.read(r);
    if (h.done) return ops;
    if (ops.length >= MAX_MULTI_OPS) throw new JuteError('too many operations in multi');
    switch (h.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        ops.push({ type: h.type, req: CreateRequestCodec.read(r) });
        break;
      case OpCode.createTTL:
        ops.push({ type: h.type, req: CreateTTLRequestCodec.read(r) });
        break;
      case OpCode.delete:
        ops.push({ type: h.type, req: DeleteRequestCodec.read(r) });
        break;
      case OpCode.setData:
        ops.push({ type: h.type, req: SetDataRequestCodec.read(r) });
        break;
      case OpCode.check:
        ops.push({ type: h.type, req: CheckVersionRequestCodec.read(r) });
        break;
      case OpCode.getChildren:
      case OpCode.getData:
        ops.push({ type: h.type, req: PathWatchRequestCodec.read(r) });
        break;
      default:
        throw new JuteError(`unsupported operation type ${h.type} in multi`);
    }
  }
}

export function writeMultiResponse(w: JuteWriter, results: readonly MultiResult[]): void {
  for (const res of results) {
    const err = res.type === OpCode.error ? res.err : 0;
    MultiHeaderCodec.write(w, { type: res.type, done: false, err });
    switch (res.type) {
      case OpCode.create:
        CreateResponseCodec.write(w, { path: res.path });
        break;
      case OpCode.create2:
        Create2ResponseCodec.write(w, { path: res.path, stat: res.stat });
        break;
      case OpCode.setData:
        SetDataResponseCodec.write(w, { stat: res.stat });
        break;
      case OpCode.getChildren:
        GetChildrenResponseCodec.write(w, { children: res.children });
        break;
      case OpCode.getData:
        GetDataResponseCodec.write(w, { data: res.data, stat: res.stat });
        break;
      case OpCode.error:
        ErrorResponseCodec.write(w, { err: res.err });
        break;
      default:
        break; // delete, check: header only
    }
  }
  MultiHeaderCodec.write(w, DONE);
}

export function readMultiResponse(r: JuteReader): MultiResult[] {
  const results: MultiResult[] = [];
  for (;;) {
    const h = MultiHeaderCodec.read(r);
    if (h.done) return results;
    switch (h.type) {
      case OpCode.create:
        results.push({ type: h.type, path: CreateResponseCodec.read(r).path });
        break;
      case OpCode.create2:
      case OpCode.createTTL:
      case OpCode.createContainer: {
        const v = Create2ResponseCodec.read(r);
        results.push({ type: OpCode.create2, path: v.path, stat: v.stat });
        break;
      }
      case OpCode.delete:
      case OpCode.check:
        results.push({ type: h.type });
        break;
      case OpCode.setData:
        results.push({ type: h.type, stat: SetDataResponseCodec.read(r).stat });
        break;
      case OpCode.getChildren:
        results.push({ type: h.type, children: GetChildrenResponseCodec.read(r).children });
        break;
      case OpCode.getData: {
        const v = GetDataResponseCodec.read(r);
        results.push({ type: h.type, data: v.data, stat: v.stat });
        break;
      }
      case OpCode.error:
        results.push({ type: OpCode.error, err: ErrorResponseCodec.read(r).err });
        break;
      default:
        throw new JuteError(`unexpected result type ${h.type} in multi response`);
    }
  }
}

export { ErrorCode };
