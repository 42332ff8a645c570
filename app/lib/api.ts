// The one typed client the pages use for /api/v1. Errors become ApiError with the server's code and
// plain-words message; responses are normalised into app/lib/types.ts shapes.

import type {
  AuditEvent,
  AuditFilter,
  AuditPage,
  ConfigFile,
  EnsembleNode,
  FileSummary,
  Namespace,
  Znode,
} from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole error body: a 409 carries the current version and who made it. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

type Json = Record<string, unknown>;

const BASE = '/api/v1';

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export function filePath(namespace: string, file: string): string {
  return `${BASE}/namespaces/${enc(namespace)}/files/${enc(file)}`;
}

/** Messages for statuses whose server text may be missing or technical. */
function fallbackMessage(status: number): string {
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You do not have permission to do this.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'Someone else changed this in the meantime.';
  if (status === 413) return 'This is too large for the ensemble.';
  if (status === 503) return 'The ensemble cannot be reached right now. Try again in a moment.';
  return `The server answered ${status}.`;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Json = {};
  try {
    body = (await response.json()) as Json;
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status alone must do.
  }
  const err = (body.error ?? {}) as Json;
  const code = typeof err.code === 'string' ? err.code : String(response.status);
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : fallbackMessage(response.status);
  return new ApiError(response.status, code, message, { ...body, ...err });
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(0, 'network', 'The admin server cannot be reached. Check your connection.');
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJson<T = Json>(path: string): Promise<T> {
  const response = await request(path, { headers: { accept: 'application/json' } });
  return (await response.json()) as T;
}

async function sendJson(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return request(path, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

// ---- normalisation: tolerant of field names, strict about types --------------------------------

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

function first(obj: Json, ...keys: string[]): unknown {
  for (const key of keys) if (obj[key] !== undefined && obj[key] !== null) return obj[key];
  return undefined;
}

function time(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return new Date(value).toISOString();
  return null;
}

function listOf(body: unknown, key: string): Json[] {
  if (Array.isArray(body)) return body as Json[];
  const inner = (body as Json | null)?.[key];
  return Array.isArray(inner) ? (inner as Json[]) : [];
}

function lastChangeOf(raw: Json): Json {
  const last = first(raw, 'lastChange', 'lastModified', 'last');
  return typeof last === 'object' && last !== null ? (last as Json) : {};
}

export function toNamespace(raw: Json): Namespace {
  const last = lastChangeOf(raw);
  const metadata = (typeof raw.metadata === 'object' && raw.metadata !== null ? raw.metadata : {}) as Json;
  return {
    name: String(raw.name ?? raw.namespace ?? ''),
    description: str(first(raw, 'description') ?? metadata.description),
    fileCount: num(first(raw, 'fileCount', 'files', 'numFiles')),
    lastChangeAt: time(first(last, 'at', 'time') ?? first(raw, 'lastChangeAt', 'modifiedAt', 'mtime')),
    lastChangeBy: str(first(last, 'actor', 'by') ?? first(raw, 'lastChangeBy', 'modifiedBy', 'lastEditor')),
  };
}

export function toFileSummary(raw: Json): FileSummary {
  const last = lastChangeOf(raw);
  return {
    name: String(raw.name ?? raw.file ?? ''),
    size: num(first(raw, 'size', 'dataLength')) ?? 0,
    version: num(raw.version) ?? 0,
    modifiedAt: time(first(raw, 'modifiedAt', 'mtime', 'updatedAt') ?? first(last, 'at')),
    modifiedBy: str(first(raw, 'modifiedBy', 'lastEditor', 'lastModifiedBy') ?? first(last, 'actor', 'by')),
  };
}

function toConfigFile(namespace: string, name: string, raw: Json, etag: string | null): ConfigFile {
  const summary = toFileSummary({ name, ...raw });
  const versionFromTag = etag === null ? null : num(etag.replace(/^W\//, '').replace(/"/g, ''));
  return {
    namespace,
    name,
    text: String(first(raw, 'text', 'content', 'data') ?? ''),
    version: num(raw.version) ?? versionFromTag ?? 0,
    modifiedAt: summary.modifiedAt,
    modifiedBy: summary.modifiedBy,
    notUtf8: raw.notUtf8 === true,
  };
}

export function toAuditEvent(raw: Json): AuditEvent {
  return {
    id: num(raw.id) ?? 0,
    at: time(raw.at) ?? '',
    actor: String(raw.actor ?? ''),
    actorType: String(raw.actorType ?? '') as AuditEvent['actorType'],
    source: (str(raw.source) ?? 'api') as AuditEvent['source'],
    action: String(raw.action ?? '') as AuditEvent['action'],
    namespace: str(raw.namespace),
    file: str(raw.file),
    path: str(raw.path),
    version: num(raw.version),
    fromVersion: num(raw.fromVersion),
    zxid: str(raw.zxid),
    before: str(raw.before),
    after: str(raw.after),
    diff: (raw.diff ?? null) as AuditEvent['diff'],
    comment: str(raw.comment),
    status: String(raw.status ?? 'confirmed') as AuditEvent['status'],
    detail: str(raw.detail),
    masked: raw.masked === true,
  };
}

export function toEnsembleNode(raw: Json): EnsembleNode {
  const latency = (typeof raw.latency === 'object' && raw.latency !== null ? raw.latency : {}) as Json;
  const address = str(first(raw, 'address', 'server', 'hostPort')) ?? `${String(raw.host ?? '?')}:${String(raw.port ?? '?')}`;
  return {
    address,
    up: raw.up === true || raw.status === 'up' || (raw.up === undefined && raw.mode !== undefined && raw.error === undefined),
    mode: str(first(raw, 'mode', 'role', 'state')),
    zxid: str(raw.zxid) ?? (typeof raw.zxid === 'number' ? `0x${raw.zxid.toString(16)}` : null),
    connections: num(first(raw, 'connections', 'numConnections', 'num_alive_connections')),
    outstanding: num(first(raw, 'outstanding', 'outstandingRequests', 'outstanding_requests')),
    latencyAvg: num(first(latency, 'avg') ?? first(raw, 'latencyAvg', 'avgLatency', 'avg_latency')),
    latencyMax: num(first(latency, 'max') ?? first(raw, 'latencyMax', 'maxLatency', 'max_latency')),
    error: str(raw.error),
  };
}

// ---- endpoints ----------------------------------------------------------------------------------

export const api = {
  async namespaces(): Promise<Namespace[]> {
    return listOf(await getJson(`${BASE}/namespaces`), 'namespaces').map(toNamespace);
  },

  async namespace(name: string): Promise<Namespace> {
    const body = await getJson(`${BASE}/namespaces/${enc(name)}`);
    const raw = (body.namespace ?? body) as Json;
    return toNamespace(raw);
  },

  async createNamespace(name: string, description: string): Promise<void> {
    await sendJson('POST', `${BASE}/namespaces`, { name, description: description || undefined });
  },

  /** Refused (409) while the namespace holds files, unless `force`: then every file's delete is audited. */
  async deleteNamespace(name: string, force = false): Promise<void> {
    await request(`${BASE}/namespaces/${enc(name)}${force ? '?force=true' : ''}`, { method: 'DELETE' });
  },

  /** Issues a new read password for the namespace's SDK subscribers; it is shown once. */
  async rotateCredential(namespace: string): Promise<{ user: string; password: string }> {
    const body = await (await sendJson('POST', `${BASE}/namespaces/${enc(namespace)}/credential`, {})).json() as Json;
    const credential = (body.credential ?? body) as Json;
    return { user: String(credential.user ?? ''), password: String(credential.password ?? '') };
  },

  async files(namespace: string): Promise<FileSummary[]> {
    return listOf(await getJson(`${BASE}/namespaces/${enc(namespace)}/files`), 'files').map(toFileSummary);
  },

  async file(namespace: string, name: string): Promise<ConfigFile> {
    const response = await request(filePath(namespace, name), { headers: { accept: 'application/json' } });
    const body = (await response.json()) as Json;
    const raw = (typeof body.file === 'object' && body.file !== null ? body.file : body) as Json;
    return toConfigFile(namespace, name, raw, response.headers.get('etag'));
  },

  /** Creates a file; fails with 409 when it already exists. */
  async createFile(namespace: string, name: string, text: string, comment?: string): Promise<void> {
    await sendJson('PUT', filePath(namespace, name), { text, comment }, { 'if-none-match': '*' });
  },

  /** Compare-and-set: succeeds only while the file is still at `version`. Returns the new version. */
  async saveFile(namespace: string, name: string, text: string, version: number, comment: string): Promise<number | null> {
    const response = await sendJson('PUT', filePath(namespace, name), { text, comment }, { 'if-match': `"${version}"` });
    const body = (await response.json().catch(() => ({}))) as Json;
    const raw = (typeof body.file === 'object' && body.file !== null ? body.file : body) as Json;
    return num(raw.version) ?? num(response.headers.get('etag')?.replace(/"/g, '') ?? '');
  },

  async deleteFile(namespace: string, name: string, version: number): Promise<void> {
    await request(filePath(namespace, name), { method: 'DELETE', headers: { 'if-match': `"${version}"` } });
  },

  async history(namespace: string, name: string): Promise<AuditEvent[]> {
    return listOf(await getJson(`${filePath(namespace, name)}/history`), 'events').map(toAuditEvent);
  },

  async rollback(namespace: string, name: string, toVersion: number, currentVersion: number, comment: string): Promise<void> {
    await sendJson(
      'POST',
      `${filePath(namespace, name)}/rollback`,
      { version: toVersion, toVersion, comment },
      { 'if-match': `"${currentVersion}"` },
    );
  },

  async audit(filter: AuditFilter): Promise<AuditPage> {
    const body = await getJson(`${BASE}/audit?${auditQuery(filter)}`);
    return { events: listOf(body, 'events').map(toAuditEvent), nextCursor: str(body.nextCursor) };
  },

  async ensemble(): Promise<EnsembleNode[]> {
    return listOf(await getJson(`${BASE}/ensemble`), 'nodes').map(toEnsembleNode);
  },

  async znode(path: string): Promise<Znode> {
    return getJson<Znode>(`${BASE}/znodes?path=${enc(path)}`);
  },

  async createZnode(path: string, data: string, mode: string): Promise<void> {
    await sendJson('POST', `${BASE}/znodes`, { path, data, mode });
  },

  async setZnode(path: string, data: string, version: number): Promise<void> {
    await sendJson('PUT', `${BASE}/znodes`, { path, data, version });
  },

  async deleteZnode(path: string, version: number): Promise<void> {
    await request(`${BASE}/znodes?path=${enc(path)}&version=${version}`, { method: 'DELETE' });
  },
};

export function auditQuery(filter: AuditFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}

export const auditExportUrl = (filter: AuditFilter, format: 'csv' | 'json'): string =>
  `${BASE}/audit?${auditQuery({ ...filter, cursor: undefined }, { format })}`;

export const fileEventsUrl = (namespace: string, name: string): string => `${filePath(namespace, name)}/events`;
