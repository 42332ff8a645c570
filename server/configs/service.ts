// The config service: properties files as znodes under /configs/<namespace>/<file>.
// Every write is a compare-and-set on the znode version and is bracketed by the audit store: an intent
// before the ensemble write, confirmed with the transaction's zxid after (failed when the ensemble
// refused it; left pending when the outcome is unknown, for the recorder to resolve).

import { isUtf8 } from 'node:buffer';
import { ErrorCode, isZkError, type ACL, type Stat, type ZkClient } from '../../ensemble/client/index.ts';
import { AuditStore, formatZxid, type Actor, type AuditEventView, type ChangeAction } from '../audit/index.ts';
import { getNamespaceCredential, rotateNamespaceCredential, type IssuedCredential } from '../auth/namespace-credentials.ts';
import type { Db } from '../db.ts';
import { applyPatch, parseProperties, PropertiesPatchError, type PropertiesPatch, type PropertiesWarning } from '../properties/index.ts';
import {
  AccessDeniedError,
  ConflictError,
  InvalidPropertiesError,
  InvalidRequestError,
  NotEmptyError,
  NotFoundError,
  TooLargeError,
  UnavailableError,
} from './errors.ts';
import { configAcl, type ZkIdentity } from './identity.ts';
import { CONFIGS_ROOT, checkName, filePath, namespacePath } from './names.ts';

/**
 * jute.maxbuffer defaults to 0xfffff bytes for a whole request packet; the path, headers and ACLs
 * ride along with the data, so keep a margin for them.
 */
export const DEFAULT_MAX_FILE_BYTES = 0xfffff - 4096;
const DEFAULT_CALL_TIMEOUT_MS = 8_000;

export interface WriteContext {
  actor: Actor;
  source: 'ui' | 'api' | 'system';
  comment?: string | null;
  requestId?: string | null;
  clientIp?: string | null;
}

export interface NamespaceMetadata {
  description?: string | null;
  owners?: string[];
  createdBy?: string;
  createdAt?: string;
}

export interface NamespaceSummary {
  name: string;
  description: string | null;
  owners: string[];
  fileCount: number;
  lastChange: { at: string; actor: string; file: string | null } | null;
}

export interface FileSummary {
  namespace: string;
  name: string;
  version: number;
  size: number;
  createdAt: string;
  modifiedAt: string;
  /** Who made the current version, when the audit history knows. */
  modifiedBy: string | null;
  zxid: string;
}

export interface ConfigFile extends FileSummary {
  text: string;
  /** The stored bytes are not valid UTF-8 (written outside the admin): `text` shows U+FFFD in their place. */
  notUtf8: boolean;
  warnings: readonly PropertiesWarning[];
}

export interface WriteResult {
  namespace: string;
  name: string;
  /** null after a delete. */
  version: number | null;
  zxid: string;
  auditId: number;
}

export interface ConfigServiceOptions {
  maxFileBytes?: number;
  /** How long one ensemble call may take before the ensemble counts as unreachable. */
  callTimeoutMs?: number;
}

function iso(ms: bigint): string {
  return new Date(Number(ms)).toISOString();
}

function zkCode(error: unknown): number | null {
  return isZkError(error) ? error.code : null;
}

const UNAVAILABLE_CODES = new Set<number>([
  ErrorCode.CONNECTIONLOSS,
  ErrorCode.SESSIONEXPIRED,
  ErrorCode.OPERATIONTIMEOUT,
  ErrorCode.REQUESTTIMEOUT,
  ErrorCode.SESSIONMOVED,
  ErrorCode.THROTTLEDOP,
]);

/** True when a failed write may still have been applied (the reply was lost, not refused). */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof UnavailableError) return true;
  const code = zkCode(error);
  return code !== null && UNAVAILABLE_CODES.has(code);
}

export class ConfigService {
  readonly audit: AuditStore;
  readonly maxFileBytes: number;
  private readonly callTimeoutMs: number;

  constructor(
    private readonly zk: ZkClient,
    private readonly db: Db,
    private readonly identity: ZkIdentity,
    options: ConfigServiceOptions = {},
  ) {
    this.audit = new AuditStore(db);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  // ---------- ensemble plumbing ----------

  /** Runs one ensemble call, turning "cannot reach it" into UnavailableError and NOAUTH into AccessDeniedError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`the ensemble did not answer within ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (error) {
      const code = zkCode(error);
      if (code !== null && UNAVAILABLE_CODES.has(code)) throw new UnavailableError(`the ensemble cannot be reached (${(error as Error).message})`);
      if (code === ErrorCode.AUTHFAILED || (code !== null && this.zk.state === 'authfailed')) {
        throw new AccessDeniedError('the ensemble rejected the config center credentials');
      }
      if (code === ErrorCode.NOAUTH) throw new AccessDeniedError(`the config center identity may not do this: ${(error as Error).message}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async aclFor(namespace: string): Promise<ACL[]> {
    return configAcl(this.identity, await getNamespaceCredential(this.db, namespace));
  }

  /** Creates /configs (readable and writable by the config center only) when it is missing. */
  async ensureRoot(): Promise<void> {
    try {
      await this.call(() => this.zk.create(CONFIGS_ROOT, '', { acl: configAcl(this.identity, null) }));
    } catch (error) {
      if (zkCode(error) !== ErrorCode.NODEEXISTS) throw error;
    }
  }

  private async statOf(path: string): Promise<Stat | null> {
    return this.call(() => this.zk.exists(path));
  }

  private async requireNamespace(namespace: string): Promise<Stat> {
    const stat = await this.statOf(namespacePath(namespace));
    if (stat === null) throw new NotFoundError(`namespace ${namespace} does not exist`);
    return stat;
  }

  /** Who made `version` of a file (the newest audit row for it), if the history knows. */
  private async editorOf(path: string, stat: Stat): Promise<string | null> {
    const latest = await this.audit.latestChange(path);
    if (latest === null || latest.zxid === null) return null;
    return BigInt(latest.zxid) === stat.mzxid ? latest.actor : null;
  }

  private async conflict(path: string, what: string): Promise<ConflictError> {
    const stat = await this.statOf(path);
    if (stat === null) return new ConflictError(`${what}: it was deleted in the meantime`, null, null);
    const by = await this.editorOf(path, stat);
    return new ConflictError(`${what}: it is now at version ${stat.version}${by === null ? '' : `, written by ${by}`}`, stat.version, by);
  }

  // ---------- validation ----------

  /** Refuses text Java's Properties.load would reject, or that the ensemble would refuse for its size. */
  validateText(text: string): readonly PropertiesWarning[] {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.maxFileBytes) throw new TooLargeError(size, this.maxFileBytes);
    const parsed = parseProperties(text);
    const error = parsed.errors[0];
    if (error !== undefined) throw new InvalidPropertiesError(error.line, error.message);
    return parsed.warnings;
  }

  // ---------- namespaces ----------

  async listNamespaces(): Promise<NamespaceSummary[]> {
    let names: string[];
    try {
      names = await this.call(() => this.zk.getChildren(CONFIGS_ROOT));
    } catch (error) {
      if (zkCode(error) === ErrorCode.NONODE) return [];
      throw error;
    }
    const summaries = await Promise.all(names.sort().map((name) => this.getNamespace(name).catch(() => null)));
    return summaries.filter((s): s is NamespaceSummary => s !== null);
  }

  async getNamespace(namespace: string): Promise<NamespaceSummary> {
    const path = namespacePath(namespace);
    let node: { data: Buffer | null; stat: Stat };
    try {
      node = await this.call(() => this.zk.getData(path));
    } catch (error) {
      if (zkCode(error) === ErrorCode.NONODE) throw new NotFoundError(`namespace ${namespace} does not exist`);
      throw error;
    }
    const metadata = parseMetadata(node.data);
    const { events } = await this.audit.query({ namespace }, { limit: 1 });
    const last = events[0];
    return {
      name: namespace,
      description: metadata.description ?? null,
      owners: metadata.owners ?? [],
      fileCount: node.stat.numChildren,
      lastChange: last === undefined ? null : { at: last.at, actor: last.actor, file: last.file },
    };
  }

  async createNamespace(namespace: string, metadata: NamespaceMetadata, by: string): Promise<NamespaceSummary> {
    const path = namespacePath(namespace);
    await this.ensureRoot();
    const data: NamespaceMetadata = { ...metadata, createdBy: by, createdAt: new Date().toISOString() };
    try {
      const acl = await this.aclFor(namespace);
      await this.call(() => this.zk.create(path, JSON.stringify(data), { acl }));
    } catch (error) {
      if (zkCode(error) === ErrorCode.NODEEXISTS) throw new ConflictError(`namespace ${namespace} already exists`, null, null);
      throw error;
    }
    return this.getNamespace(namespace);
  }

  /** Deletes a namespace; with `force`, its files first (each one audited as a delete). */
  async deleteNamespace(namespace: string, ctx: WriteContext, options: { force?: boolean } = {}): Promise<void> {
    const path = namespacePath(namespace);
    await this.requireNamespace(namespace);
    const files = await this.call(() => this.zk.getChildren(path));
    if (files.length > 0 && options.force !== true) {
      throw new NotEmptyError(`namespace ${namespace} still holds ${files.length} file(s); delete them first or pass force`);
    }
    for (const file of files) {
      const stat = await this.statOf(`${path}/${file}`);
      if (stat !== null) await this.deleteFile(namespace, file, stat.version, ctx);
    }
    try {
      await this.call(() => this.zk.delete(path));
    } catch (error) {
      const code = zkCode(error);
      if (code === ErrorCode.NONODE) return;
      if (code === ErrorCode.NOTEMPTY) throw new NotEmptyError(`namespace ${namespace} got a new file while being deleted`);
      throw error;
    }
  }

  /** Issues a new read credential for the namespace's subscribers and puts it in the ACL of every znode of it. */
  async rotateCredential(namespace: string, by: string): Promise<IssuedCredential> {
    const path = namespacePath(namespace);
    await this.requireNamespace(namespace);
    const issued = await rotateNamespaceCredential(this.db, namespace, by);
    const acl = configAcl(this.identity, { user: issued.user, digest: issued.digest });
    await this.call(() => this.zk.setACL(path, acl));
    for (const file of await this.call(() => this.zk.getChildren(path))) {
      try {
        await this.call(() => this.zk.setACL(`${path}/${file}`, acl));
      } catch (error) {
        if (zkCode(error) !== ErrorCode.NONODE) throw error;
      }
    }
    await this.audit.recordAuthEvent({
      action: 'token_created',
      actor: by,
      actorType: 'user',
      source: 'system',
      detail: `read credential ${issued.user} of namespace ${namespace} rotated`,
    });
    return issued;
  }

  // ---------- files ----------

  async listFiles(namespace: string): Promise<FileSummary[]> {
    const path = namespacePath(namespace);
    let names: string[];
    try {
      names = await this.call(() => this.zk.getChildren(path));
    } catch (error) {
      if (zkCode(error) === ErrorCode.NONODE) throw new NotFoundError(`namespace ${namespace} does not exist`);
      throw error;
    }
    const summaries = await Promise.all(
      names.sort().map(async (name) => {
        const stat = await this.statOf(`${path}/${name}`);
        return stat === null ? null : this.summary(namespace, name, stat);
      }),
    );
    return summaries.filter((s): s is FileSummary => s !== null);
  }

  private async summary(namespace: string, name: string, stat: Stat): Promise<FileSummary> {
    return {
      namespace,
      name,
      version: stat.version,
      size: stat.dataLength,
      createdAt: iso(stat.ctime),
      modifiedAt: iso(stat.mtime),
      modifiedBy: await this.editorOf(`${CONFIGS_ROOT}/${namespace}/${name}`, stat),
      zxid: formatZxid(stat.mzxid),
    };
  }

  async loadFile(namespace: string, name: string): Promise<ConfigFile> {
    const path = filePath(namespace, name);
    let node: { data: Buffer | null; stat: Stat };
    try {
      node = await this.call(() => this.zk.getData(path));
    } catch (error) {
      if (zkCode(error) === ErrorCode.NONODE) throw new NotFoundError(`file ${namespace}/${name} does not exist`);
      throw error;
    }
    const text = node.data?.toString('utf8') ?? '';
    const notUtf8 = node.data !== null && !isUtf8(node.data);
    return { ...(await this.summary(namespace, name, node.stat)), text, notUtf8, warnings: parseProperties(text).warnings };
  }

  /** The file's current version (null when absent), arming a one-time watch that fires on its next change. */
  async watchVersion(namespace: string, name: string, onChange: () => void): Promise<{ version: number; zxid: string } | null> {
    const path = filePath(namespace, name);
    const stat = await this.call(() => this.zk.exists(path, () => onChange()));
    return stat === null ? null : { version: stat.version, zxid: formatZxid(stat.mzxid) };
  }

  async createFile(namespace: string, name: string, text: string, ctx: WriteContext): Promise<WriteResult> {
    const path = filePath(namespace, name);
    this.validateText(text);
    await this.requireNamespace(namespace);
    const acl = await this.aclFor(namespace);
    return this.audited(ctx, 'create', namespace, name, null, text, async () => {
      try {
        const { stat } = await this.call(() => this.zk.create2(path, text, { acl }));
        return { version: stat.version, zxid: stat.mzxid };
      } catch (error) {
        const code = zkCode(error);
        if (code === ErrorCode.NODEEXISTS) throw await this.conflict(path, `${namespace}/${name} already exists`);
        if (code === ErrorCode.NONODE) throw new NotFoundError(`namespace ${namespace} does not exist`);
        throw error;
      }
    });
  }

  /** Replaces the whole text, if the file is still at `expectedVersion`. */
  async replaceFile(namespace: string, name: string, text: string, expectedVersion: number, ctx: WriteContext, action: ChangeAction = 'update'): Promise<WriteResult> {
    this.validateText(text);
    const current = await this.loadFile(namespace, name);
    if (current.version !== expectedVersion) {
      throw await this.conflict(filePath(namespace, name), `${namespace}/${name} is not at version ${expectedVersion}`);
    }
    return this.setText(namespace, name, current.text, text, expectedVersion, ctx, action);
  }

  /** Sets and removes keys (the seed's modifyCnfItem), keeping every other line as it was. */
  async patchFile(namespace: string, name: string, patch: PropertiesPatch, expectedVersion: number | null, ctx: WriteContext): Promise<WriteResult> {
    const current = await this.loadFile(namespace, name);
    const version = expectedVersion ?? current.version;
    if (current.version !== version) {
      throw await this.conflict(filePath(namespace, name), `${namespace}/${name} is not at version ${version}`);
    }
    let text: string;
    try {
      text = applyPatch(current.text, patch);
    } catch (error) {
      if (error instanceof PropertiesPatchError) throw new InvalidRequestError(error.message);
      throw error;
    }
    this.validateText(text);
    return this.setText(namespace, name, current.text, text, version, ctx, 'patch');
  }

  /** Writes the text an audited version had, as a new version (history is never rewritten). */
  async rollback(namespace: string, name: string, toVersion: number, expectedVersion: number | null, ctx: WriteContext): Promise<WriteResult> {
    const path = filePath(namespace, name);
    const target = await this.db.auditEvent.findFirst({
      where: { path, version: toVersion, status: 'confirmed', after: { not: null }, action: { notIn: ['delete', 'gap'] } },
      orderBy: { id: 'desc' },
    });
    if (target === null || target.after === null) {
      throw new NotFoundError(`the history of ${namespace}/${name} has no recorded contents for version ${toVersion}`);
    }
    const current = await this.loadFile(namespace, name);
    const version = expectedVersion ?? current.version;
    if (current.version !== version) throw await this.conflict(path, `${namespace}/${name} is not at version ${version}`);
    this.validateText(target.after);
    const comment = ctx.comment ?? `rollback to version ${toVersion}`;
    return this.setText(namespace, name, current.text, target.after, version, { ...ctx, comment }, 'rollback');
  }

  async deleteFile(namespace: string, name: string, expectedVersion: number, ctx: WriteContext): Promise<WriteResult> {
    const path = filePath(namespace, name);
    const current = await this.loadFile(namespace, name);
    if (current.version !== expectedVersion) throw await this.conflict(path, `${namespace}/${name} is not at version ${expectedVersion}`);
    return this.audited(ctx, 'delete', namespace, name, current.text, null, async () => {
      try {
        const zxid = await this.call(() => this.zk.deleteWithZxid(path, expectedVersion));
        return { version: expectedVersion, zxid };
      } catch (error) {
        const code = zkCode(error);
        if (code === ErrorCode.BADVERSION || code === ErrorCode.NONODE) throw await this.conflict(path, `${namespace}/${name} changed before it could be deleted`);
        throw error;
      }
    });
  }

  private setText(namespace: string, name: string, before: string, after: string, expectedVersion: number, ctx: WriteContext, action: ChangeAction): Promise<WriteResult> {
    const path = filePath(namespace, name);
    return this.audited(ctx, action, namespace, name, before, after, async () => {
      try {
        const stat = await this.call(() => this.zk.setData(path, after, expectedVersion));
        return { version: stat.version, zxid: stat.mzxid };
      } catch (error) {
        const code = zkCode(error);
        if (code === ErrorCode.BADVERSION) throw await this.conflict(path, `${namespace}/${name} was changed by someone else`);
        if (code === ErrorCode.NONODE) throw new NotFoundError(`file ${namespace}/${name} does not exist`);
        throw error;
      }
    });
  }

  /** intent → ensemble write → confirm (or fail, or stay pending when the outcome is unknown). */
  private async audited(
    ctx: WriteContext,
    action: ChangeAction,
    namespace: string,
    name: string,
    before: string | null,
    after: string | null,
    write: () => Promise<{ version: number; zxid: bigint }>,
  ): Promise<WriteResult> {
    checkName('namespace', namespace);
    checkName('file', name);
    const intent: AuditEventView = await this.audit.recordIntent({
      actor: ctx.actor,
      source: ctx.source,
      action,
      namespace,
      file: name,
      path: `${CONFIGS_ROOT}/${namespace}/${name}`,
      before,
      after,
      comment: ctx.comment ?? null,
      requestId: ctx.requestId ?? null,
      clientIp: ctx.clientIp ?? null,
    });
    let result: { version: number; zxid: bigint };
    try {
      result = await write();
    } catch (error) {
      // A lost reply may hide a write that happened: the recorder settles such intents once it sees the node.
      if (!outcomeUnknown(error)) await this.audit.fail(intent.id, (error as Error).message);
      throw error;
    }
    await this.audit.confirm(intent.id, result);
    return { namespace, name, version: action === 'delete' ? null : result.version, zxid: formatZxid(result.zxid), auditId: intent.id };
  }
}

function parseMetadata(data: Buffer | null): NamespaceMetadata {
  if (data === null || data.length === 0) return {};
  try {
    const value = JSON.parse(data.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as NamespaceMetadata) : {};
  } catch {
    // Written by another tool: not ours to interpret.
    return {};
  }
}
