/** The ZooKeeper commands of zkCli.sh, each printing exactly what ZooKeeper 3.8's CliCommand classes print. */
import { AddWatchMode, CreateMode, ErrorCode, Perms, WatcherType } from '../../jute/constants.ts';
import type { ACL } from '../../jute/records.ts';
import { OPEN_ACL_UNSAFE, ZkError, op, pathProblem, type ZkClient } from '../../client/index.ts';
import { formatAcl, formatStat, javaList } from './format.ts';
import { CliError, parseOptions, type ParsedArgs } from './parse.ts';

export interface CliContext {
  zk: ZkClient;
  out(line: string): void;
  err(line: string): void;
}

interface Command {
  usage: string;
  options?: Record<string, boolean>;
  exec(ctx: CliContext, cl: ParsedArgs): Promise<void>;
}

/** Usage strings exactly as ZooKeeperMain lists them. */
export const USAGE: Record<string, string> = {
  addWatch: '[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
  addauth: 'scheme auth',
  close: '',
  config: '[-c] [-w] [-s]',
  connect: 'host:port',
  create: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
  delete: '[-v version] path',
  deleteall: 'path [-b batch size]',
  delquota: '[-n|-b|-N|-B] path',
  get: '[-s] [-w] path',
  getAcl: '[-s] path',
  getAllChildrenNumber: 'path',
  getEphemerals: 'path',
  history: '',
  listquota: 'path',
  ls: '[-s] [-w] [-R] path',
  printwatches: 'on|off',
  quit: '',
  reconfig:
    '[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]',
  redo: 'cmdno',
  removewatches: 'path [-c|-d|-a] [-l]',
  set: '[-s] [-v version] path data',
  setAcl: '[-s] [-v version] [-R] path acl',
  setquota: '-n|-b|-N|-B val path',
  stat: '[-w] path',
  sync: 'path',
  version: '',
  whoami: '',
};

export function usageLines(): string[] {
  return ['ZooKeeper -server host:port -client-configuration properties-file cmd args', ...Object.keys(USAGE).sort().map((c) => `\t${c} ${USAGE[c]}`)];
}

export const CLI_VERSION = 'ZooKeeper CLI version: 3.8.0-ensemble (TypeScript zkcli)';

const malformed = (name: string): CliError => new CliError(`${name} ${USAGE[name]}`);

/** CliWrapperException's messages for KeeperExceptions (the 3.8.0 wording). */
export function cliMessage(e: unknown): string {
  if (!(e instanceof ZkError)) return e instanceof Error ? e.message : String(e);
  const p = e.path ?? 'null';
  switch (e.code) {
    case ErrorCode.NONODE: return `Node does not exist: ${p}`;
    case ErrorCode.NOCHILDRENFOREPHEMERALS: return `Ephemerals cannot have children: ${p}`;
    case ErrorCode.NODEEXISTS: return `Node already exists: ${p}`;
    case ErrorCode.NOTEMPTY: return `Node not empty: ${p}`;
    case ErrorCode.NOTREADONLY: return `Not a read-only call: ${p}`;
    case ErrorCode.INVALIDACL: return `Acl is not valid : ${p}`;
    case ErrorCode.NOAUTH: return `Insufficient permission : ${p}`;
    case ErrorCode.BADARGUMENTS: return `Arguments are not valid : ${p}`;
    case ErrorCode.BADVERSION: return `version No is not valid : ${p}`;
    case ErrorCode.RECONFIGINPROGRESS: return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case ErrorCode.NEWCONFIGNOQUORUM:
      return 'No quorum of new config is connected and up-to-date with the leader of last committed config - try invoking reconfiguration after new servers are connected and synced';
    case ErrorCode.QUOTAEXCEEDED: return `Quota has exceeded : ${p}`;
    default: return e.message;
  }
}

/** Java checks paths client-side and reports the IllegalArgumentException's text alone. */
function checkPath(path: string, sequential = false): void {
  const checked = sequential ? path + '1' : path;
  const problem = pathProblem(checked);
  if (!problem) return;
  throw new CliError(problem.startsWith('Path') ? problem : `Invalid path string "${checked}" caused by ${problem}`);
}

function parseIntArg(value: string | true | undefined, fallback: number): number {
  if (value === undefined || value === true) return fallback;
  if (!/^[+-]?\d+$/.test(value)) throw new CliError(`java.lang.NumberFormatException: For input string: "${value}"`);
  return Number(value);
}

/** AclParser.parse: "scheme:id:perms,..."; bad entries are reported and skipped, bad perm letters reported. */
export function parseAcl(text: string, err: (line: string) => void): ACL[] {
  const acls: ACL[] = [];
  for (const a of text.split(',')) {
    const first = a.indexOf(':');
    const last = a.lastIndexOf(':');
    if (first === -1 || last === -1 || first === last) {
      err(`${a} does not have the form scheme:id:perm`);
      continue;
    }
    acls.push({ perms: parsePerms(a.slice(last + 1), err), id: { scheme: a.slice(0, first), id: a.slice(first + 1, last) } });
  }
  return acls;
}

function parsePerms(s: string, err: (line: string) => void): number {
  let perms = 0;
  for (const c of s) {
    switch (c) {
      case 'r': perms |= Perms.READ; break;
      case 'w': perms |= Perms.WRITE; break;
      case 'c': perms |= Perms.CREATE; break;
      case 'd': perms |= Perms.DELETE; break;
      case 'a': perms |= Perms.ADMIN; break;
      default: err(`Unknown perm type: ${c}`);
    }
  }
  return perms;
}

const joinPath = (parent: string, child: string): string => (parent === '/' ? '/' + child : `${parent}/${child}`);

/** ZKUtil.visitSubTreeDFS: the node, then its sorted children, then each child's subtree. */
async function visitSubTree(zk: ZkClient, root: string, watch: boolean, visit: (path: string) => Promise<void> | void): Promise<void> {
  const children = (await zk.getChildren(root, watch)).sort();
  await visit(root);
  const helper = async (path: string, kids: string[]): Promise<void> => {
    const full = kids.map((k) => joinPath(path, k));
    for (const p of full) await visit(p);
    for (const p of full) {
      let grandKids: string[];
      try {
        grandKids = (await zk.getChildren(p, watch)).sort();
      } catch (e) {
        if (e instanceof ZkError && e.code === ErrorCode.NONODE) continue;
        throw e;
      }
      await helper(p, grandKids);
    }
  };
  await helper(root, children);
}

/** ZKUtil.listSubTreeBFS. */
async function listSubTreeBFS(zk: ZkClient, root: string): Promise<string[]> {
  const queue = [root];
  const tree = [root];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const child of await zk.getChildren(node)) {
      const p = joinPath(node, child);
      queue.push(p);
      tree.push(p);
    }
  }
  return tree;
}

export const COMMANDS: Record<string, Command> = {
  create: {
    usage: USAGE.create!,
    options: { s: false, e: false, c: false, t: true },
    async exec({ zk, err }, { args, options }) {
      const s = options.has('s');
      const e = options.has('e');
      const c = options.has('c');
      const t = options.get('t');
      if (c && (s || e)) throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
      let ttl: number | undefined;
      if (t !== undefined) {
        if (typeof t !== 'string' || !/^[+-]?\d+$/.test(t)) throw new CliError('-t argument must be a long value');
        ttl = Number(t);
        if (e) throw new CliError('TTLs cannot be used with Ephemeral znodes');
        if (c) throw new CliError('TTLs cannot be used with Container znodes');
      }
      if (args.length < 2) throw malformed('create');
      let mode: number = CreateMode.PERSISTENT;
      if (e && s) mode = CreateMode.EPHEMERAL_SEQUENTIAL;
      else if (e) mode = CreateMode.EPHEMERAL;
      else if (s) mode = CreateMode.PERSISTENT_SEQUENTIAL;
      else if (c) mode = CreateMode.CONTAINER;
      if (ttl !== undefined) mode = s ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_WITH_TTL;
      const path = args[1]!;
      checkPath(path, s);
      const data = args[2] ?? null;
      const acl = args[3] !== undefined ? parseAcl(args[3], err) : OPEN_ACL_UNSAFE;
      try {
        const created = await zk.create(path, data, ttl !== undefined ? { mode, acl, ttl } : { mode, acl });
        err(`Created ${created}`);
      } catch (ex) {
        if (ex instanceof ZkError && ex.code === ErrorCode.EPHEMERALONLOCALSESSION) {
          err('Unable to create ephemeral node on a local session');
          throw new CliError(cliMessage(ex));
        }
        throw ex;
      }
    },
  },

  ls: {
    usage: USAGE.ls!,
    options: { s: false, w: false, R: false },
    async exec({ zk, out }, { args, options }) {
      if (args.length < 2) throw malformed('ls');
      const path = args[1]!;
      checkPath(path);
      const watch = options.has('w');
      if (options.has('R')) {
        await visitSubTree(zk, path, watch, (p) => out(p));
        return;
      }
      if (options.has('s')) {
        const { children, stat } = await zk.getChildren2(path, watch);
        out(javaList([...children].sort()));
        for (const line of formatStat(stat)) out(line);
      } else {
        out(javaList((await zk.getChildren(path, watch)).sort()));
      }
    },
  },

  get: {
    usage: USAGE.get!,
    options: { s: false, w: false },
    async exec({ zk, out }, { args, options }) {
      if (args.length < 2) throw malformed('get');
      const path = args[1]!;
      checkPath(path);
      const { data, stat } = await zk.getData(path, options.has('w'));
      out(data === null ? 'null' : data.toString('utf8'));
      if (options.has('s')) for (const line of formatStat(stat)) out(line);
    },
  },

  set: {
    usage: USAGE.set!,
    options: { s: false, v: true },
    async exec({ zk, out }, { args, options }) {
      if (args.length < 3) throw malformed('set');
      const path = args[1]!;
      checkPath(path);
      const stat = await zk.setData(path, args[2]!, parseIntArg(options.get('v'), -1));
      if (options.has('s')) for (const line of formatStat(stat)) out(line);
    },
  },

  stat: {
    usage: USAGE.stat!,
    options: { w: false },
    async exec({ zk, out }, { args, options }) {
      if (args.length < 2) throw malformed('stat');
      const path = args[1]!;
      checkPath(path);
      const stat = await zk.exists(path, options.has('w'));
      if (!stat) throw new ZkError(ErrorCode.NONODE, path);
      for (const line of formatStat(stat)) out(line);
    },
  },

  delete: {
    usage: USAGE.delete!,
    options: { v: true },
    async exec({ zk }, { args, options }) {
      if (args.length < 2) throw malformed('delete');
      const path = args[1]!;
      checkPath(path);
      await zk.delete(path, parseIntArg(options.get('v'), -1));
    },
  },

  deleteall: {
    usage: USAGE.deleteall!,
    options: { b: true },
    async exec({ zk, err }, { args, options }) {
      if (args.length < 2) throw malformed('deleteall');
      const b = options.get('b');
      if (b !== undefined && (typeof b !== 'string' || !/^\d+$/.test(b))) throw new CliError('-b argument must be an int value');
      const batch = Math.max(1, parseIntArg(b, 1000));
      const path = args[1]!;
      checkPath(path);
      // ZKUtil.deleteRecursive: the whole subtree breadth-first, deleted deepest-first in multi batches.
      const tree = await listSubTreeBFS(zk, path);
      let ok = true;
      for (let end = tree.length; end > 0; end -= batch) {
        const ops = tree.slice(Math.max(0, end - batch), end).reverse().map((p) => op.delete(p, -1));
        try {
          await zk.multi(ops);
        } catch (e) {
          if (!(e instanceof ZkError) || e.results === undefined) throw e;
          ok = false;
        }
      }
      if (!ok) err('Failed to delete some node(s) in the subtree!');
    },
  },

  getAcl: {
    usage: USAGE.getAcl!,
    options: { s: false },
    async exec({ zk, out }, { args, options }) {
      if (args.length < 2) throw malformed('getAcl');
      const path = args[1]!;
      checkPath(path);
      const { acl, stat } = await zk.getACL(path);
      for (const a of acl) for (const line of formatAcl(a)) out(line);
      if (options.has('s')) for (const line of formatStat(stat)) out(line);
    },
  },

  setAcl: {
    usage: USAGE.setAcl!,
    options: { s: false, v: true, R: false },
    async exec({ zk, out, err }, { args, options }) {
      if (args.length < 3) throw malformed('setAcl');
      const path = args[1]!;
      checkPath(path);
      const acl = parseAcl(args[2]!, err);
      const version = parseIntArg(options.get('v'), -1);
      if (options.has('R')) {
        await visitSubTree(zk, path, false, async (p) => {
          await zk.setACL(p, acl, version);
        });
        return;
      }
      const stat = await zk.setACL(path, acl, version);
      if (options.has('s')) for (const line of formatStat(stat)) out(line);
    },
  },

  addauth: {
    usage: USAGE.addauth!,
    async exec({ zk }, { args }) {
      if (args.length < 2) throw malformed('addauth');
      await zk.addAuth(args[1]!, Buffer.from(args[2] ?? '', 'utf8'));
    },
  },

  sync: {
    usage: USAGE.sync!,
    async exec({ zk, out }, { args }) {
      if (args.length < 2) throw malformed('sync');
      const path = args[1]!;
      checkPath(path);
      try {
        await zk.sync(path);
        out('Sync is OK');
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        out(`Sync has failed. rc=${e.code}`);
      }
    },
  },

  addWatch: {
    usage: USAGE.addWatch!,
    options: { m: true },
    async exec({ zk }, { args, options }) {
      const m = options.get('m');
      let mode: number = AddWatchMode.PERSISTENT_RECURSIVE;
      if (m !== undefined) {
        if (m === 'PERSISTENT') mode = AddWatchMode.PERSISTENT;
        else if (m === 'PERSISTENT_RECURSIVE') mode = AddWatchMode.PERSISTENT_RECURSIVE;
        else throw malformed('addWatch');
      }
      if (args.length !== 2) throw malformed('addWatch');
      const path = args[1]!;
      checkPath(path);
      // Java's addWatch(path, mode) uses the default watcher, so one event prints once even if `get -w` also armed it.
      await zk.addWatch(path, mode, zk.defaultWatcher);
    },
  },

  removewatches: {
    usage: USAGE.removewatches!,
    options: { c: false, d: false, a: false, l: false },
    async exec({ zk }, { args, options }) {
      if (args.length < 2) throw malformed('removewatches');
      const path = args[1]!;
      checkPath(path);
      let type: number = WatcherType.Any;
      if (options.has('c')) type = WatcherType.Children;
      else if (options.has('d')) type = WatcherType.Data;
      await zk.removeWatches(path, type, undefined, options.has('l'));
    },
  },

  getEphemerals: {
    usage: USAGE.getEphemerals!,
    async exec({ zk, out }, { args }) {
      const path = args[1];
      if (path !== undefined) checkPath(path);
      out(javaList(await zk.getEphemerals(path ?? '/')));
    },
  },

  getAllChildrenNumber: {
    usage: USAGE.getAllChildrenNumber!,
    async exec({ zk, out }, { args }) {
      if (args.length < 2) throw malformed('getAllChildrenNumber');
      const path = args[1]!;
      checkPath(path);
      out(String(await zk.getAllChildrenNumber(path)));
    },
  },

  whoami: {
    usage: USAGE.whoami!,
    async exec({ zk, out }) {
      const infos = await zk.whoAmI();
      out('Auth scheme: User');
      for (const info of infos) out(`${info.authScheme}: ${info.user}`);
    },
  },

  version: {
    usage: USAGE.version!,
    async exec({ out }) {
      out(CLI_VERSION);
    },
  },
};

export async function runZkCommand(ctx: CliContext, argv: string[]): Promise<void> {
  const name = argv[0]!;
  const command = COMMANDS[name];
  if (!command) throw new CliError(`Command not implemented: ${name}`);
  const parsed = parseOptions(argv, command.options ?? {});
  try {
    await command.exec(ctx, parsed);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(cliMessage(e));
  }
}

