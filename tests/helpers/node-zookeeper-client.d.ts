/** The parts of the untyped npm `node-zookeeper-client` (1.x) that the compatibility suite uses. */
declare module 'node-zookeeper-client' {
  import { EventEmitter } from 'node:events';

  export interface Stat {
    czxid: Buffer;
    mzxid: Buffer;
    ctime: Buffer;
    mtime: Buffer;
    version: number;
    cversion: number;
    aversion: number;
    ephemeralOwner: Buffer;
    dataLength: number;
    numChildren: number;
    pzxid: Buffer;
  }
  export class Id {
    constructor(scheme: string, id: string);
    scheme: string;
    id: string;
  }
  export class ACL {
    constructor(permission: number, id: Id);
    permission: number;
    id: Id;
    static OPEN_ACL_UNSAFE: ACL[];
    static CREATOR_ALL_ACL: ACL[];
    static READ_ACL_UNSAFE: ACL[];
  }
  export interface Event {
    type: number;
    name: string;
    path: string;
    getType(): number;
    getName(): string;
    getPath(): string;
  }
  export interface State {
    name: string;
    code: number;
    getName(): string;
    getCode(): number;
  }
  export interface Exception extends Error {
    code: number;
    getCode(): number;
    getName(): string;
    getPath(): string | undefined;
  }
  export type Callback<T extends unknown[]> = (error: Exception | null, ...rest: T) => void;
  export type Watcher = (event: Event) => void;
  export interface OpResult {
    type: number;
    path?: string;
    stat?: Stat;
    err?: number;
  }
  export interface Transaction {
    create(path: string, data?: Buffer, acls?: ACL[], mode?: number): Transaction;
    check(path: string, version?: number): Transaction;
    setData(path: string, data: Buffer | null, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(callback: Callback<[OpResult[]]>): void;
  }
  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
    sessionId?: Buffer;
    sessionPassword?: Buffer;
  }
  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, data: Buffer | null, acls: ACL[], mode: number, callback: Callback<[string]>): void;
    remove(path: string, version: number, callback: Callback<[]>): void;
    setData(path: string, data: Buffer | null, version: number, callback: Callback<[Stat]>): void;
    getData(path: string, watcher: Watcher | undefined, callback: Callback<[Buffer | undefined, Stat]>): void;
    setACL(path: string, acls: ACL[], version: number, callback: Callback<[Stat]>): void;
    getACL(path: string, callback: Callback<[ACL[], Stat]>): void;
    exists(path: string, watcher: Watcher | undefined, callback: Callback<[Stat | null]>): void;
    getChildren(path: string, watcher: Watcher | undefined, callback: Callback<[string[], Stat]>): void;
    mkdirp(path: string, data: Buffer | null, acls: ACL[], mode: number, callback: Callback<[string]>): void;
    transaction(): Transaction;
  }
  export function createClient(connectionString: string, options?: ClientOptions): Client;
  export const CreateMode: { PERSISTENT: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };
  export const Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  export const State: {
    DISCONNECTED: State;
    SYNC_CONNECTED: State;
    AUTH_FAILED: State;
    CONNECTED_READ_ONLY: State;
    SASL_AUTHENTICATED: State;
    EXPIRED: State;
  };
  export const Event: { NODE_CREATED: number; NODE_DELETED: number; NODE_DATA_CHANGED: number; NODE_CHILDREN_CHANGED: number };
  export const Exception: Record<string, number>;
  const zookeeper: {
    createClient: typeof createClient;
    ACL: typeof ACL;
    Id: typeof Id;
    CreateMode: typeof CreateMode;
    Permission: typeof Permission;
    State: typeof State;
    Event: typeof Event;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
