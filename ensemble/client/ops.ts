/** Builders for multi() operations, mirroring Java's Op.create/delete/setData/check/getData/getChildren. */
import { CreateMode, ErrorCode, OpCode } from '../jute/constants.ts';
import type { MultiOp } from '../jute/multi.ts';
import type { ACL } from '../jute/records.ts';
import { OPEN_ACL_UNSAFE } from './acl.ts';
import { ZkError } from './errors.ts';

export interface CreateOptions {
  mode?: number; // CreateMode
  acl?: ACL[];
  ttl?: number;
}

export type Data = Buffer | string | null | undefined;

export function toBuffer(data: Data): Buffer | null {
  if (data == null) return null;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

export function isSequential(mode: number): boolean {
  return mode === CreateMode.PERSISTENT_SEQUENTIAL || mode === CreateMode.EPHEMERAL_SEQUENTIAL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
}

export function isTtlMode(mode: number): boolean {
  return mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
}

/** EphemeralType.MAX_EXTENDED_SERVER_ID-era limit: TTLs live in the low 40 bits of the ephemeralOwner. */
export const MAX_TTL = 0xffffffffff;

/** The opcode a create with this mode uses, and its checked TTL (Java validates both client-side). */
export function createOpcode(mode: number, ttl: number | undefined, withStat: boolean): { type: number; ttl: number } {
  if (!Number.isInteger(mode) || mode < 0 || mode > CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL) {
    throw new ZkError(ErrorCode.BADARGUMENTS, undefined, `invalid create mode ${mode}`);
  }
  if (isTtlMode(mode)) {
    if (ttl === undefined || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL) {
      throw new ZkError(ErrorCode.BADARGUMENTS, undefined, `ttl must be positive and cannot be larger than: ${MAX_TTL}`);
    }
    return { type: OpCode.createTTL, ttl };
  }
  if (ttl !== undefined && ttl !== -1) {
    throw new ZkError(ErrorCode.BADARGUMENTS, undefined, `ttl not valid for mode ${mode}`);
  }
  if (mode === CreateMode.CONTAINER) return { type: OpCode.createContainer, ttl: -1 };
  return { type: withStat ? OpCode.create2 : OpCode.create, ttl: -1 };
}

export function checkAcl(acl: ACL[]): void {
  if (acl.length === 0) throw new ZkError(ErrorCode.INVALIDACL);
}

function create(path: string, data?: Data, opts: CreateOptions = {}): MultiOp {
  const mode = opts.mode ?? CreateMode.PERSISTENT;
  const acl = opts.acl ?? OPEN_ACL_UNSAFE;
  checkAcl(acl);
  const { type, ttl } = createOpcode(mode, opts.ttl, false);
  const req = { path, data: toBuffer(data), acl, flags: mode };
  if (type === OpCode.createTTL) return { type, req: { ...req, ttl: BigInt(ttl) } };
  return { type: type as typeof OpCode.create | typeof OpCode.createContainer, req };
}

export const op = {
  create,
  delete: (path: string, version = -1): MultiOp => ({ type: OpCode.delete, req: { path, version } }),
  setData: (path: string, data: Data, version = -1): MultiOp => ({ type: OpCode.setData, req: { path, data: toBuffer(data), version } }),
  check: (path: string, version: number): MultiOp => ({ type: OpCode.check, req: { path, version } }),
  getData: (path: string): MultiOp => ({ type: OpCode.getData, req: { path, watch: false } }),
  getChildren: (path: string): MultiOp => ({ type: OpCode.getChildren, req: { path, watch: false } }),
};
