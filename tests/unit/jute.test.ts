import { describe, expect, it } from 'vitest';
import * as R from '../../ensemble/jute/records.ts';
import {
  FrameDecoder,
  FrameTooLargeError,
  JuteError,
  JuteReader,
  JuteWriter,
  frame,
  readMultiRequest,
  readMultiResponse,
  writeMultiRequest,
  writeMultiResponse,
  type MultiOp,
  type MultiResult,
} from '../../ensemble/jute/index.ts';

const stat: R.Stat = {
  czxid: 0x100000001n, mzxid: -2n, ctime: 1_700_000_000_000n, mtime: 1_700_000_000_001n, version: 3, cversion: -1,
  aversion: 7, ephemeralOwner: -0x8000000000000000n, dataLength: 5, numChildren: 2, pzxid: 0x7fffffffffffffffn,
};
const acl: R.ACL[] = [
  { perms: 31, id: { scheme: 'world', id: 'anyone' } },
  { perms: 1, id: { scheme: 'digest', id: 'bob:ikIaKsbtGweaHnb/jKn7OHqbunM=' } },
];
const bytes = Buffer.from([0, 1, 2, 255]);

/** One sample per record codec exported by records.ts (a new codec without a sample fails the coverage test). */
const samples: Record<string, unknown> = {
  IdCodec: { scheme: 'ip', id: '10.0.0.0/8' },
  ACLCodec: acl[1],
  StatCodec: stat,
  ConnectRequestCodec: { protocolVersion: 0, lastZxidSeen: 42n, timeOut: 30000, sessionId: 0x123456789n, passwd: Buffer.alloc(16, 7), readOnly: true },
  ConnectResponseCodec: { protocolVersion: 0, timeOut: 4000, sessionId: -5n, passwd: bytes, readOnly: false },
  RequestHeaderCodec: { xid: -8, type: 105 },
  ReplyHeaderCodec: { xid: 1, zxid: 99n, err: -101 },
  MultiHeaderCodec: { type: -1, done: true, err: -1 },
  AuthPacketCodec: { type: 0, scheme: 'digest', auth: Buffer.from('bob:pw') },
  WatcherEventCodec: { type: 4, state: 3, path: '/a/b' },
  SetWatchesCodec: { relativeZxid: 7n, dataWatches: ['/d'], existWatches: [], childWatches: ['/c', '/c2'] },
  SetWatches2Codec: { relativeZxid: 7n, dataWatches: [], existWatches: ['/e'], childWatches: [], persistentWatches: ['/p'], persistentRecursiveWatches: ['/r', '/'] },
  PathWatchRequestCodec: { path: '/x', watch: true },
  GetDataRequestCodec: { path: '/x', watch: false },
  ExistsRequestCodec: { path: '/ü', watch: true },
  GetChildrenRequestCodec: { path: '/', watch: true },
  GetChildren2RequestCodec: { path: '/a', watch: false },
  PathRequestCodec: { path: '/p' },
  GetACLRequestCodec: { path: '/p' },
  SyncRequestCodec: { path: '/' },
  GetAllChildrenNumberRequestCodec: { path: '/q' },
  GetEphemeralsRequestCodec: { prefixPath: '/e' },
  SetDataRequestCodec: { path: '/s', data: bytes, version: -1 },
  CreateRequestCodec: { path: '/c', data: Buffer.from('v'), acl, flags: 3 },
  CreateTTLRequestCodec: { path: '/t', data: Buffer.alloc(0), acl, flags: 5, ttl: 0xffffffffffn },
  DeleteRequestCodec: { path: '/d', version: 4 },
  CheckVersionRequestCodec: { path: '/k', version: 0 },
  SetACLRequestCodec: { path: '/a', acl, version: 2 },
  AddWatchRequestCodec: { path: '/w', mode: 1 },
  CheckWatchesRequestCodec: { path: '/w', type: 3 },
  RemoveWatchesRequestCodec: { path: '/w', type: 2 },
  ReconfigRequestCodec: { joiningServers: 'server.4=h:1:2;3', leavingServers: '', newMembers: '', curConfigId: -1n },
  StatResponseCodec: { stat },
  ExistsResponseCodec: { stat },
  SetDataResponseCodec: { stat },
  SetACLResponseCodec: { stat },
  GetDataResponseCodec: { data: bytes, stat },
  CreateResponseCodec: { path: '/c0000000001' },
  SyncResponseCodec: { path: '/' },
  Create2ResponseCodec: { path: '/c', stat },
  GetChildrenResponseCodec: { children: ['a', 'b'] },
  GetChildren2ResponseCodec: { children: [], stat },
  GetACLResponseCodec: { acl, stat },
  GetAllChildrenNumberResponseCodec: { totalNumber: 12 },
  GetEphemeralsResponseCodec: { ephemerals: ['/e1', '/e2'] },
  ClientInfoCodec: { authScheme: 'ip', user: '127.0.0.1' },
  WhoAmIResponseCodec: { clientInfo: [{ authScheme: 'digest', user: 'bob' }, { authScheme: 'ip', user: '::1' }] },
  ErrorResponseCodec: { err: -2 },
};

const codecs = Object.entries(R).filter(([name]) => name.endsWith('Codec')) as [string, R.RecordCodec<unknown>][];

describe('records', () => {
  it('has a sample for every codec in records.ts', () => {
    expect(codecs.length).toBeGreaterThan(40);
    expect(codecs.map(([n]) => n).filter((n) => !(n in samples))).toEqual([]);
  });

  for (const [name, codec] of codecs) {
    it(`${name} round-trips and consumes exactly its bytes`, () => {
      const value = samples[name];
      const buf = codec.encode(value);
      expect(codec.decode(buf)).toEqual(value);
      const r = new JuteReader(buf);
      codec.read(r);
      expect(r.remaining).toBe(0);
      const short = buf.subarray(0, buf.length - 1);
      // Dropping the optional readOnly byte leaves a valid older-client record; anything else is truncated.
      if (codec.fields.includes('readOnly')) expect(codec.decode(short)).not.toHaveProperty('readOnly');
      else expect(() => codec.decode(short)).toThrow(JuteError);
    });
  }

  it('encodes big-endian ints/longs and length-prefixed UTF-8 strings', () => {
    expect(R.StatCodec.encode(stat)).toHaveLength(68);
    const w = new JuteWriter(1);
    w.int(-2).long(1n).bool(true).string('é').buffer(null).string(null).vector(null, () => {});
    expect(w.toBuffer().toString('hex')).toBe('fffffffe' + '0000000000000001' + '01' + '00000002c3a9' + 'ffffffff'.repeat(3));
  });

  it('reads null strings, buffers and vectors', () => {
    const nulls = Buffer.from('ffffffff'.repeat(3), 'hex');
    const r = new JuteReader(nulls);
    expect(r.string()).toBeNull();
    expect(r.buffer()).toBeNull();
    expect(r.vector((x) => x.int())).toBeNull();
    // In records, a null string reads as '' and a null vector as [], a null buffer stays null.
    expect(R.GetChildrenResponseCodec.decode(Buffer.from('ffffffff', 'hex'))).toEqual({ children: [] });
    expect(R.CreateResponseCodec.decode(Buffer.from('ffffffff', 'hex'))).toEqual({ path: '' });
    const data = R.GetDataResponseCodec.decode(Buffer.concat([Buffer.from('ffffffff', 'hex'), R.StatCodec.encode(stat)]));
    expect(data.data).toBeNull();
  });

  it('refuses negative lengths other than -1 and hostile vector counts', () => {
    expect(() => new JuteReader(Buffer.from('fffffffe', 'hex')).string()).toThrow(JuteError);
    expect(() => new JuteReader(Buffer.from('fffffffe', 'hex')).buffer()).toThrow(JuteError);
    expect(() => new JuteReader(Buffer.from('7fffffff00', 'hex')).vector((r) => r.int())).toThrow(/exceeds/);
  });

  it('ConnectRequest/Response: the trailing readOnly byte is optional', () => {
    const base = { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30000, sessionId: 0n, passwd: Buffer.alloc(16) };
    const old = R.ConnectRequestCodec.encode(base);
    const withFlag = R.ConnectRequestCodec.encode({ ...base, readOnly: true });
    expect(withFlag.length).toBe(old.length + 1);
    expect(R.ConnectRequestCodec.decode(old)).toEqual(base);
    expect(R.ConnectRequestCodec.decode(old).readOnly).toBeUndefined();
    expect(R.ConnectRequestCodec.decode(withFlag).readOnly).toBe(true);
    const resp = { protocolVersion: 0, timeOut: 1, sessionId: 1n, passwd: Buffer.alloc(16) };
    expect(R.ConnectResponseCodec.decode(R.ConnectResponseCodec.encode(resp))).toEqual(resp);
    expect(R.ConnectResponseCodec.decode(R.ConnectResponseCodec.encode({ ...resp, readOnly: false })).readOnly).toBe(false);
  });
});

describe('multi', () => {
  const ops: MultiOp[] = [
    { type: 1, req: { path: '/a', data: null, acl, flags: 0 } },
    { type: 15, req: { path: '/b', data: bytes, acl, flags: 2 } },
    { type: 19, req: { path: '/c', data: null, acl, flags: 4 } },
    { type: 21, req: { path: '/t', data: null, acl, flags: 5, ttl: 10n } },
    { type: 2, req: { path: '/d', version: -1 } },
    { type: 5, req: { path: '/s', data: bytes, version: 3 } },
    { type: 13, req: { path: '/k', version: 1 } },
    { type: 8, req: { path: '/g', watch: false } },
    { type: 4, req: { path: '/g', watch: false } },
  ];

  it('requests round-trip, ending with a done header', () => {
    const w = new JuteWriter();
    writeMultiRequest(w, ops);
    const buf = w.toBuffer();
    expect(buf.subarray(buf.length - 9).toString('hex')).toBe('ffffffff' + '01' + 'ffffffff');
    const r = new JuteReader(buf);
    expect(readMultiRequest(r)).toEqual(ops);
    expect(r.remaining).toBe(0);
    const empty = new JuteWriter();
    writeMultiRequest(empty, []);
    expect(readMultiRequest(new JuteReader(empty.toBuffer()))).toEqual([]);
  });

  it('responses round-trip, including error results', () => {
    const results: MultiResult[] = [
      { type: 1, path: '/a' },
      { type: 15, path: '/b', stat },
      { type: 2 },
      { type: 13 },
      { type: 5, stat },
      { type: 8, children: ['x'] },
      { type: 4, data: null, stat },
      { type: -1, err: 0 },
      { type: -1, err: -103 },
      { type: -1, err: -2 },
    ];
    const w = new JuteWriter();
    writeMultiResponse(w, results);
    expect(readMultiResponse(new JuteReader(w.toBuffer()))).toEqual(results);
  });

  it('refuses unknown op types', () => {
    const w = new JuteWriter();
    R.MultiHeaderCodec.write(w, { type: 7, done: false, err: -1 });
    expect(() => readMultiRequest(new JuteReader(w.toBuffer()))).toThrow(JuteError);
  });
});

describe('FrameDecoder', () => {
  const payloads = [Buffer.from('one'), Buffer.alloc(0), Buffer.alloc(1000, 9), Buffer.from('last')];
  const stream = Buffer.concat(payloads.map(frame));

  it('emits whole frames from byte-by-byte chunks', () => {
    const d = new FrameDecoder(4096);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(payloads);
    expect(d.pending).toBe(0);
  });

  it('emits many frames from one chunk and keeps a partial tail', () => {
    const d = new FrameDecoder(4096);
    const cut = stream.length - 2;
    expect(d.push(stream.subarray(0, cut))).toEqual(payloads.slice(0, 3));
    expect(d.pending).toBe(cut - (3 + 4 + 4 + 1000 + 4));
    expect(d.push(stream.subarray(cut))).toEqual([payloads[3]]);
  });

  it('splits at every possible point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(4096);
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]).toEqual(payloads);
    }
  });

  it('refuses oversize and negative lengths', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(4097);
    expect(() => new FrameDecoder(4096).push(big)).toThrow(FrameTooLargeError);
    const neg = Buffer.from('ffffffff', 'hex');
    expect(() => new FrameDecoder(4096).push(neg)).toThrow(FrameTooLargeError);
    const exact = Buffer.alloc(4);
    exact.writeInt32BE(4096);
    expect(new FrameDecoder(4096).push(Buffer.concat([exact, Buffer.alloc(4096)]))).toHaveLength(1);
  });

  it('peekHead sees the first 4 bytes across chunks (four-letter words)', () => {
    const d = new FrameDecoder(1 << 20);
    expect(d.peekHead()).toBeNull();
    d.push(Buffer.from('ru'));
    expect(d.peekHead()).toBeNull();
    expect(() => d.push(Buffer.from('ok'))).toThrow(FrameTooLargeError); // 'ruok' as a length is ~1.9 GB
  });
});
