/** Znode path rules (ZooKeeper's PathUtils.validatePath) and cheap parent/name helpers. */

/** Why `path` is not a valid znode path, or null when it is. Messages follow PathUtils. */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return 'Path must not end with / character';
  let last = 0x2f;
  for (let i = 1; i < path.length; last = path.charCodeAt(i), i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && last === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e) {
      // "." and ".." are refused only as whole path segments.
      const endsSegment = i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f;
      if (endsSegment && last === 0x2f) return `relative paths not allowed @${i}`;
      if (endsSegment && last === 0x2e && path.charCodeAt(i - 2) === 0x2f) return `relative paths not allowed @${i}`;
      continue;
    }
    // ZooKeeper's PathUtils rejects these ranges, bounds included (\u007f, \ud800 and \ufff0 too).
    if ((c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

export function isValidPath(path: string): boolean {
  return pathProblem(path) === null;
}

/** A sequential create's path is validated after the 10-digit suffix is added, so it may end with '/'. */
export function isValidCreatePath(path: string, sequential: boolean): boolean {
  return pathProblem(sequential ? path + '1' : path) === null;
}

/** '/a/b' → '/a'; '/a' → '/'; '/' → null. Does not validate. */
export function parentOf(path: string): string | null {
  if (path === '/') return null;
  const slash = path.lastIndexOf('/');
  if (slash < 0) return null;
  return slash === 0 ? '/' : path.slice(0, slash);
}

/** '/a/b' → 'b'. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? '/' + name : parent + '/' + name;
}

/** ZooKeeper's sequential suffix: `String.format("%010d", n)`. */
export function sequenceSuffix(n: number): string {
  return n < 0 ? '-' + String(-n).padStart(9, '0') : String(n).padStart(10, '0');
}
