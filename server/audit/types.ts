// What the audit store takes and gives. Rows are converted to views (JSON-friendly: zxid as a hex
// string, diff parsed) before they leave the store, so callers never see Prisma types.

import type { ActorType, AuditAction, AuditSource, AuditStatus } from '../db.ts';
import type { PropertiesDiff } from '../properties/index.ts';

export type { ActorType, AuditAction, AuditSource, AuditStatus };
export type AuditDiff = PropertiesDiff;

export type ChangeAction = Extract<AuditAction, 'create' | 'update' | 'patch' | 'delete' | 'rollback' | 'acl'>;
export type AuthAction = Extract<AuditAction, 'login' | 'login_failed' | 'token_created' | 'token_revoked' | 'role_changed'>;

/** Who asked for a change through the admin. */
export interface Actor {
  name: string;
  type: Extract<ActorType, 'user' | 'token' | 'system'>;
}

export interface RequestContext {
  requestId?: string | null;
  clientIp?: string | null;
}

export interface ChangeIntent extends RequestContext {
  actor: Actor;
  source: Extract<AuditSource, 'ui' | 'api' | 'system'>;
  action: ChangeAction;
  namespace: string;
  file: string;
  path: string;
  /** File text before the write (null when creating). */
  before: string | null;
  /** File text the write will store (null when deleting). */
  after: string | null;
  comment?: string | null;
}

/** A change the recorder saw in the ensemble. zxid is the transaction's (the znode's mzxid, or the delete's). */
export interface ExternalChange {
  action: ChangeAction;
  namespace: string | null;
  file: string | null;
  path: string;
  version: number | null;
  zxid: bigint;
  before: string | null;
  after: string | null;
  /** When the change happened (the znode's mtime), if known. */
  at?: Date;
  /** Who made it, when the recorder can tell (e.g. a digest identity); defaults to "external". */
  actor?: string;
}

export interface GapRecord {
  namespace: string | null;
  file: string | null;
  path: string;
  /** First version whose contents were never observed. */
  fromVersion: number;
  /** Last version whose contents were never observed. */
  toVersion: number;
  at?: Date;
}

export interface AuthEvent extends RequestContext {
  action: AuthAction;
  actor: string;
  actorType: Extract<ActorType, 'user' | 'token' | 'system'>;
  source: Extract<AuditSource, 'ui' | 'api' | 'system'>;
  /** Human-readable specifics ("token ci-deploy (zkc_Ab12…) role editor"); never a secret. */
  detail?: string | null;
}

export interface AuditFilter {
  namespace?: string;
  /** Only these namespaces (for principals scoped to some namespaces). */
  namespaces?: readonly string[];
  file?: string;
  path?: string;
  actor?: string;
  source?: AuditSource;
  action?: AuditAction;
  /** Default: confirmed rows only (the history); pending and failed rows are operational detail. */
  status?: AuditStatus | 'any';
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

export interface AuditEventView {
  id: number;
  at: string;
  actor: string;
  actorType: ActorType;
  source: AuditSource;
  action: AuditAction;
  namespace: string | null;
  file: string | null;
  path: string | null;
  version: number | null;
  fromVersion: number | null;
  /** 0x-prefixed, 16 hex digits, as ZooKeeper prints zxids. */
  zxid: string | null;
  before: string | null;
  after: string | null;
  diff: AuditDiff | null;
  comment: string | null;
  requestId: string | null;
  clientIp: string | null;
  status: AuditStatus;
  detail: string | null;
  /** True when secret-looking values were replaced for this reader. */
  masked: boolean;
}

export interface ViewOptions {
  /** Hide secret-looking values (for viewers). */
  maskSecrets?: boolean;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
