import { describe, expect, it } from 'vitest';
import { decodeTxn, encodeTxn } from '../../ensemble/jute/txn.ts';
import { JuteError } from '../../ensemble/jute/buffer.ts';
import type { Txn, TxnOp } from '../../ensemble/tree/api.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const ops: TxnOp[] = [
  { type: 'create', opcode: 15, path: '/a', data: Buffer.from('x'), acl, flags: 3, ttl: 0n },
  { type: 'create', opcode: 21, path: '/t', data: null, acl, flags: 5, ttl: 12345n },
  { type: 'delete', path: '/a', version: 4 },
  { type: 'setData', path: '/a', data: Buffer.alloc(0), version: -1 },
  { type: 'check', path: '/a', version: 2 },
  { type: 'setACL', path: '/a', acl, version: 0 },
  { type: 'multi', ops: [{ type: 'check', path: '/a', version: 1 }, { type: 'delete', path: '/b', version: -1 }] },
  { type: 'createSession', timeout: 30000, password: Buffer.alloc(16, 7) },
  { type: 'closeSession' },
  { type: 'deleteContainer', path: '/c' },
  { type: 'deleteExpiredTTL', path: '/t' },
];

describe('txn codec', () => {
  it.each(ops.map((op) => [op.type, op] as const))('round-trips %s', (_name, op) => {
    const txn: Txn = {
      hdr: { sessionId: 0x1234_5678_9abc_def0n, cxid: 42, zxid: (3n << 32n) | 17n, time: 1_700_000_000_000n },
      auth: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'u:abc=' }],
      op,
    };
    expect(decodeTxn(encodeTxn(txn))).toEqual(txn);
  });

  it('rejects truncated and trailing bytes', () => {
    const buf = encodeTxn({ hdr: { sessionId: 1n, cxid: 1, zxid: 1n, time: 1n }, auth: [], op: ops[0]! });
    for (let cut = 0; cut < buf.length; cut++) expect(() => decodeTxn(buf.subarray(0, cut))).toThrow(JuteError);
    expect(() => decodeTxn(Buffer.concat([buf, Buffer.from([0])]))).toThrow(/trailing/);
  });
});
