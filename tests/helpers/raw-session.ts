/**
 * A bare ZooKeeper session over one TCP connection, speaking the wire protocol directly through the jute codec.
 * Its point is what a real client never does on purpose: fall silent without closing, so the server has to
 * expire the session (no pings, no reconnect). Used by the session-expiry scenarios.
 */
import net from 'node:net';
import {
  ConnectRequestCodec,
  ConnectResponseCodec,
  CreateRequestCodec,
  FrameDecoder,
  JuteReader,
  JuteWriter,
  OpCode,
  ReplyHeaderCodec,
  RequestHeaderCodec,
  DEFAULT_JUTE_MAXBUFFER,
  frame,
  type ACL,
} from '../../ensemble/jute/index.ts';

export interface RawReply {
  err: number;
  zxid: bigint;
  /** The response record after the reply header. */
  body: Buffer;
}

export interface RawSession {
  sessionId: bigint;
  password: Buffer;
  negotiatedTimeout: number;
  /** Sends any request (a known opcode or not) and resolves with the reply. */
  request(type: number, writeBody?: (w: JuteWriter) => void, timeoutMs?: number): Promise<RawReply>;
  /** Sends a create and resolves with the reply's error code (0 on success). */
  create(path: string, data: Buffer | null, acl: ACL[], flags: number): Promise<number>;
  /** Drops the connection without closeSession: the session lives on until the server expires it. */
  abandon(): void;
}

export async function openRawSession(host: string, port: number, timeoutMs: number): Promise<RawSession> {
  const socket = net.connect({ host, port });
  const decoder = new FrameDecoder(DEFAULT_JUTE_MAXBUFFER + 1024);
  const waiting = new Map<number, (reply: RawReply) => void>();
  let onConnect: ((payload: Buffer) => void) | null = null;
  let failure: Error | null = null;

  socket.on('data', (chunk: Buffer) => {
    for (const payload of decoder.push(chunk)) {
      if (onConnect) {
        const done = onConnect;
        onConnect = null;
        done(payload);
        continue;
      }
      const reader = new JuteReader(payload);
      const header = ReplyHeaderCodec.read(reader);
      waiting.get(header.xid)?.({ err: header.err, zxid: header.zxid, body: payload.subarray(payload.length - reader.remaining) });
      waiting.delete(header.xid);
    }
  });
  socket.on('error', (e) => (failure = e));

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const response = await new Promise<Buffer>((resolve, reject) => {
    onConnect = resolve;
    socket.once('close', () => reject(failure ?? new Error('connection closed during the handshake')));
    const w = new JuteWriter();
    ConnectRequestCodec.write(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: timeoutMs, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false });
    socket.write(frame(w.toBuffer()));
  });
  const connected = ConnectResponseCodec.decode(response);

  let xid = 0;
  const request = (type: number, writeBody?: (w: JuteWriter) => void, timeoutMs = 10_000): Promise<RawReply> => {
    const id = ++xid;
    const w = new JuteWriter();
    RequestHeaderCodec.write(w, { xid: id, type });
    writeBody?.(w);
    return new Promise<RawReply>((resolve, reject) => {
      waiting.set(id, resolve);
      socket.write(frame(w.toBuffer()));
      setTimeout(() => reject(new Error(`no reply to request type ${type}`)), timeoutMs).unref();
    });
  };
  return {
    sessionId: connected.sessionId,
    password: connected.passwd ?? Buffer.alloc(16),
    negotiatedTimeout: connected.timeOut,
    request,
    async create(path, data, acl, flags) {
      return (await request(OpCode.create, (w) => CreateRequestCodec.write(w, { path, data, acl, flags }))).err;
    },
    abandon() {
      socket.destroy();
    },
  };
}
