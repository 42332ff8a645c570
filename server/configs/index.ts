// Configuration files as znodes: names and paths, the service (list/load/create/replace/patch/delete/
// rollback, all compare-and-set and audited), the config center's ZooKeeper identity and ACLs, errors.

export * from './errors.ts';
export * from './names.ts';
export * from './identity.ts';
export * from './service.ts';
