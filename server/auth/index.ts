// Authentication and authorisation for the config center: passwords, API tokens, login throttling,
// roles with per-namespace grants, the first admin, NEXTAUTH_SECRET, namespace read credentials.

export * from './password.ts';
export * from './tokens.ts';
export * from './authorize.ts';
export * from './throttle.ts';
export * from './users.ts';
export * from './secret.ts';
export * from './namespace-credentials.ts';
