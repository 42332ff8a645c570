// The shapes the pages work with. The API client (api.ts) turns the HTTP API's JSON into these, so a
// change in the wire format is absorbed in one place instead of in every component.

import type { AuditEventView, AuditSource } from '../../server/audit/types.ts';
import type { PropertiesDiff } from '../../server/properties/diff.ts';

export type { AuditSource };
export type Role = 'admin' | 'editor' | 'viewer';
/** Least to most power, as pickers list them. */
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

export interface SessionUser {
  name: string;
  role: Role;
  /** namespace → role, when the user has per-namespace grants. */
  grants: Record<string, Role>;
}

export interface Namespace {
  name: string;
  description: string | null;
  fileCount: number | null;
  lastChangeAt: string | null;
  lastChangeBy: string | null;
}

export interface FileSummary {
  name: string;
  size: number;
  version: number;
  modifiedAt: string | null;
  modifiedBy: string | null;
}

export interface ConfigFile {
  namespace: string;
  name: string;
  text: string;
  version: number;
  modifiedAt: string | null;
  modifiedBy: string | null;
  /** The stored bytes are not valid UTF-8; `text` shows U+FFFD for them and a save would keep that character. */
  notUtf8: boolean;
}

/** Key-level diff, as server/properties computes it and the API sends it. */
export type KeyDiff = PropertiesDiff;

/** An audit row as the API sends it (the server's view minus request id and client IP, which pages never show). */
export type AuditEvent = Omit<AuditEventView, 'requestId' | 'clientIp'>;

export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

export interface EnsembleNode {
  address: string;
  up: boolean;
  mode: string | null;
  zxid: string | null;
  connections: number | null;
  outstanding: number | null;
  latencyAvg: number | null;
  latencyMax: number | null;
  error: string | null;
}

export interface AuditFilter {
  namespace?: string;
  file?: string;
  actor?: string;
  source?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export interface ZnodeStat {
  czxid: string;
  mzxid: string;
  pzxid: string;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export interface ZnodeAcl {
  perms: number;
  scheme: string;
  id: string;
}

export interface Znode {
  path: string;
  /** base64 of the raw bytes. */
  data: string | null;
  stat: ZnodeStat;
  acl: ZnodeAcl[];
  children: string[];
}
