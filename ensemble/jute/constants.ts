/** Numbers from ZooKeeper 3.8: ZooDefs.OpCode, KeeperException.Code, Watcher.Event, CreateMode, ZooDefs.Perms. */

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCodeName = keyof typeof OpCode;

export const OpCodeNames: Record<number, OpCodeName> = Object.fromEntries(
  Object.entries(OpCode).map(([k, v]) => [v, k as OpCodeName]),
);

export const ErrorCode = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export const ErrorCodeNames: Record<number, ErrorCodeName> = Object.fromEntries(
  Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]),
);

/** KeeperException's message text for each code, as the Java client prints it. */
export const ErrorMessages: Record<number, string> = {
  [ErrorCode.OK]: 'ok',
  [ErrorCode.SYSTEMERROR]: 'SystemError',
  [ErrorCode.RUNTIMEINCONSISTENCY]: 'RuntimeInconsistency',
  [ErrorCode.DATAINCONSISTENCY]: 'DataInconsistency',
  [ErrorCode.CONNECTIONLOSS]: 'ConnectionLoss',
  [ErrorCode.MARSHALLINGERROR]: 'MarshallingError',
  [ErrorCode.UNIMPLEMENTED]: 'Unimplemented',
  [ErrorCode.OPERATIONTIMEOUT]: 'OperationTimeout',
  [ErrorCode.BADARGUMENTS]: 'BadArguments',
  [ErrorCode.UNKNOWNSESSION]: 'Unknown session',
  [ErrorCode.NEWCONFIGNOQUORUM]: 'New config is not a quorum',
  [ErrorCode.RECONFIGINPROGRESS]: 'Another reconfiguration is in progress',
  [ErrorCode.APIERROR]: 'APIError',
  [ErrorCode.NONODE]: 'NoNode',
  [ErrorCode.NOAUTH]: 'NoAuth',
  [ErrorCode.BADVERSION]: 'BadVersion',
  [ErrorCode.NOCHILDRENFOREPHEMERALS]: 'NoChildrenForEphemerals',
  [ErrorCode.NODEEXISTS]: 'NodeExists',
  [ErrorCode.NOTEMPTY]: 'Directory not empty',
  [ErrorCode.SESSIONEXPIRED]: 'Session expired',
  [ErrorCode.INVALIDCALLBACK]: 'Invalid callback',
  [ErrorCode.INVALIDACL]: 'InvalidACL',
  [ErrorCode.AUTHFAILED]: 'AuthFailed',
  [ErrorCode.SESSIONMOVED]: 'Session moved',
  [ErrorCode.NOTREADONLY]: 'Not a read-only call',
  [ErrorCode.EPHEMERALONLOCALSESSION]: 'Ephemeral node on local session',
  [ErrorCode.NOWATCHER]: 'No such watcher',
  [ErrorCode.REQUESTTIMEOUT]: 'Request timeout',
  [ErrorCode.RECONFIGDISABLED]: 'Reconfig is disabled',
  [ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH]: 'Session closed because client failed to authenticate',
  [ErrorCode.QUOTAEXCEEDED]: 'Quota has exceeded',
  [ErrorCode.THROTTLEDOP]: 'Op throttled due to high load',
};

/** Reserved xids of the client protocol. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export const EventTypeNames: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

export const KeeperState = {
  Disconnected: 0,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;
export const KeeperStateNames: Record<number, string> = Object.fromEntries(
  Object.entries(KeeperState).map(([k, v]) => [v, k]),
);

export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

/** AddWatchMode. */
export const AddWatchMode = {
  PERSISTENT: 0,
  PERSISTENT_RECURSIVE: 1,
} as const;

/** Watcher.WatcherType, used by checkWatches/removeWatches. */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
} as const;

export const DEFAULT_JUTE_MAXBUFFER = 0xfffff; // ZooKeeper's default: 1 MiB - 1
