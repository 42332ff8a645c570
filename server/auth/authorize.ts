// Who may do what. Roles are ordered viewer < editor < admin.
// - A user's role applies to every namespace, unless the user has namespace grants: then each granted
//   namespace gets the grant's role and every other namespace is read-only (an admin stays admin).
// - A token's role applies to its namespaces only (all of them when it has none listed); a token
//   limited to some namespaces can never do instance-wide administration.

import type { Role } from '../db.ts';

export interface UserPrincipal {
  kind: 'user';
  name: string;
  role: Role;
  /** namespace → role; empty when the user has no grants. */
  grants: ReadonlyMap<string, Role>;
}

export interface TokenPrincipal {
  kind: 'token';
  name: string;
  tokenId: number;
  role: Role;
  /** null: every namespace. */
  namespaces: readonly string[] | null;
}

export type Principal = UserPrincipal | TokenPrincipal;

/** Actions on one namespace's configs and history. */
export type NamespaceAction =
  | 'config:read'
  | 'config:write'
  | 'history:read'
  /** See secret-looking values unmasked. */
  | 'secret:read'
  | 'namespace:delete'
  | 'credential:rotate';

/** Actions on the whole instance. */
export type InstanceAction = 'namespace:create' | 'user:manage' | 'token:manage' | 'znode:raw' | 'audit:read-all' | 'ensemble:read';

export type Action = NamespaceAction | InstanceAction;

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

const NEEDS: Record<Action, Role> = {
  'config:read': 'viewer',
  'history:read': 'viewer',
  'config:write': 'editor',
  'secret:read': 'editor',
  'namespace:delete': 'admin',
  'credential:rotate': 'admin',
  'namespace:create': 'admin',
  'user:manage': 'admin',
  'token:manage': 'admin',
  'znode:raw': 'admin',
  'audit:read-all': 'viewer',
  'ensemble:read': 'viewer',
};

const INSTANCE_ACTIONS = new Set<Action>(['namespace:create', 'user:manage', 'token:manage', 'znode:raw', 'audit:read-all', 'ensemble:read']);

export function isInstanceAction(action: Action): action is InstanceAction {
  return INSTANCE_ACTIONS.has(action);
}

/** The principal's role in a namespace, or null when it may not touch it at all. */
export function roleIn(principal: Principal, namespace: string): Role | null {
  if (principal.kind === 'token') {
    return principal.namespaces === null || principal.namespaces.includes(namespace) ? principal.role : null;
  }
  if (principal.role === 'admin' || principal.grants.size === 0) return principal.role;
  return principal.grants.get(namespace) ?? 'viewer';
}

/** The principal's instance-wide role: a namespace-scoped token has none beyond reading. */
export function instanceRole(principal: Principal): Role {
  if (principal.kind === 'token' && principal.namespaces !== null) return 'viewer';
  if (principal.kind === 'user' && principal.role !== 'admin' && principal.grants.size > 0) return 'viewer';
  return principal.role;
}

export function authorize(principal: Principal, action: Action, namespace?: string): boolean {
  let role: Role | null;
  if (isInstanceAction(action)) {
    // A token scoped to namespaces sees only their history, through namespace-filtered queries.
    if (action === 'audit:read-all' && principal.kind === 'token' && principal.namespaces !== null) return false;
    role = instanceRole(principal);
  } else {
    if (namespace === undefined) throw new TypeError(`${action} needs a namespace`);
    role = roleIn(principal, namespace);
  }
  return role !== null && RANK[role] >= RANK[NEEDS[action]];
}

export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  constructor(readonly action: Action, readonly namespace?: string) {
    super(namespace === undefined ? `not allowed: ${action}` : `not allowed: ${action} in namespace ${namespace}`);
  }
}

export function requireAuthorized(principal: Principal, action: Action, namespace?: string): void {
  if (!authorize(principal, action, namespace)) throw new ForbiddenError(action, namespace);
}

/** Namespaces whose history a principal may read: null means all. */
export function readableNamespaces(principal: Principal): readonly string[] | null {
  return principal.kind === 'token' ? principal.namespaces : null;
}

/** Viewers get secret-looking values masked. */
export function mustMaskSecrets(principal: Principal, namespace?: string): boolean {
  if (namespace === undefined) return instanceRole(principal) === 'viewer';
  return !authorize(principal, 'secret:read', namespace);
}
