/** Client-side path checks (the tree's PathUtils rules, so client and server refuse the same paths) and chroot mapping. */
import { ErrorCode } from '../jute/constants.ts';
import { pathProblem as treePathProblem } from '../tree/paths.ts';
import { ZkError } from './errors.ts';

/** Why `path` is not a valid znode path, or null when it is: the server's own rules, plus a type check for JS callers. */
export function pathProblem(path: string): string | null {
  if (typeof path !== 'string') return 'Path cannot be null';
  return treePathProblem(path);
}

/** Throws ZkError(BADARGUMENTS) for a path ZooKeeper would refuse; sequential creates may end with '/'. */
export function validatePath(path: string, sequential = false): void {
  const checked = sequential ? path + '1' : path;
  const problem = pathProblem(checked);
  if (problem) {
    const message = problem.startsWith('Path') ? problem : `Invalid path string "${checked}" caused by ${problem}`;
    throw new ZkError(ErrorCode.BADARGUMENTS, path, message);
  }
}

/** Maps client paths to server paths and back for a connect string's optional chroot suffix. */
export class Chroot {
  /** '' when there is no chroot. */
  constructor(readonly root: string) {}

  toServer(clientPath: string): string {
    if (!this.root) return clientPath;
    return clientPath === '/' ? this.root : this.root + clientPath;
  }

  toClient(serverPath: string): string {
    if (!this.root) return serverPath;
    if (serverPath === this.root) return '/';
    if (serverPath.startsWith(this.root + '/')) return serverPath.slice(this.root.length);
    return serverPath; // outside the chroot (cannot happen for our own requests); keep it as ZooKeeper does
  }
}
