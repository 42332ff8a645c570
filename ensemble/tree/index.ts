export * from './api.ts';
export { DataTree } from './data-tree.ts';
export { WatchManager, type Notification } from './watches.ts';
export { digestId, checkAcl, fixupAcl, ipMatches, isValidIpAcl, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from './acl.ts';
export { pathProblem, isValidPath, isValidCreatePath, parentOf, baseName, childPath, sequenceSuffix } from './paths.ts';
export { CONTAINER_EPHEMERAL_OWNER, MAX_TTL, ttlOwner } from './ephemeral-type.ts';
