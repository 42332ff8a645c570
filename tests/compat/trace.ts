/**
 * Turns a scenario's raw trace into a value that is equal on Apache ZooKeeper and on our server when both behave
 * the same: zxids become labels in order of first appearance (so "mzxid == czxid" and "pzxid == the child's
 * czxid" survive), times become a plausibility check, session ids become the scenario's session labels, and
 * buffers become readable text or a length and digest.
 */
import crypto from 'node:crypto';

export interface TraceLabels {
  /** Session id → label such as `session#1`, for the sessions the scenario opened. */
  sessions: Map<bigint, string>;
  /** When the scenario started (ms since epoch), to judge ctime/mtime. */
  startedAt: number;
}

const ZXID_FIELDS = ['czxid', 'mzxid', 'pzxid'] as const;

function isStat(v: object): v is Record<string, unknown> {
  return 'czxid' in v && 'mzxid' in v && 'pzxid' in v && 'ephemeralOwner' in v && 'ctime' in v;
}

export function normalizeTrace(trace: unknown, labels: TraceLabels): unknown {
  const zxids = new Map<bigint, string>();
  const zxidLabel = (z: unknown): unknown => {
    if (typeof z !== 'bigint') return z;
    if (z === 0n) return 'zxid:0';
    let label = zxids.get(z);
    if (!label) {
      label = `zxid#${zxids.size + 1}`;
      zxids.set(z, label);
    }
    return label;
  };
  const timeLabel = (t: unknown): unknown => {
    const ms = typeof t === 'bigint' ? Number(t) : t;
    if (typeof ms !== 'number') return t;
    // System znodes (/, /zookeeper) were made at time 0; anything else was made during this scenario.
    if (ms === 0) return 'time:0';
    return ms >= labels.startedAt - 5_000 && ms <= Date.now() + 5_000 ? 'time:now' : `time:implausible(${ms})`;
  };
  const ownerLabel = (o: unknown): unknown => {
    if (typeof o !== 'bigint') return o;
    if (o === 0n) return 0;
    return labels.sessions.get(o) ?? `owner:0x${BigInt.asUintN(64, o).toString(16)}`;
  };

  const walk = (v: unknown): unknown => {
    if (v === null || v === undefined) return v ?? null;
    if (typeof v === 'bigint') return labels.sessions.get(v) ?? `bigint:${v}`;
    if (Buffer.isBuffer(v)) return bufferLabel(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object') return v;
    if (isStat(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, field] of Object.entries(v)) {
        if ((ZXID_FIELDS as readonly string[]).includes(k)) out[k] = zxidLabel(field);
        else if (k === 'ctime' || k === 'mtime') out[k] = timeLabel(field);
        else if (k === 'ephemeralOwner') out[k] = ownerLabel(field);
        else out[k] = walk(field);
      }
      const c = Number(v.ctime);
      const m = Number(v.mtime);
      if (m < c) out.mtime = `mtime<ctime(${m}<${c})`;
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, field] of Object.entries(v)) if (field !== undefined) out[k] = walk(field);
    return out;
  };
  return walk(trace);
}

function bufferLabel(b: Buffer): string {
  const text = b.toString('utf8');
  if (b.length <= 200 && Buffer.from(text, 'utf8').equals(b) && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return `utf8:${text}`;
  return `bytes(${b.length}, sha1:${crypto.createHash('sha1').update(b).digest('hex').slice(0, 12)})`;
}
