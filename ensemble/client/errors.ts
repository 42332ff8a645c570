/** ZooKeeper's KeeperException as a typed error: the numeric code plus its name, like the Java client reports. */
import { ErrorCodeNames, ErrorMessages } from '../jute/constants.ts';
import type { MultiResult } from '../jute/multi.ts';

export class ZkError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly path?: string;
  /** For a failed multi: the result of every op (the failing one and those rolled back). */
  results?: MultiResult[];

  constructor(code: number, path?: string, message?: string) {
    const codeName = ErrorCodeNames[code] ?? `UNKNOWN(${code})`;
    const text = ErrorMessages[code] ?? `Unknown error ${code}`;
    // Java's KeeperException.getMessage(): "KeeperErrorCode = NoNode for /path".
    super(message ?? `KeeperErrorCode = ${text}${path !== undefined ? ` for ${path}` : ''}`);
    this.name = 'ZkError';
    this.code = code;
    this.codeName = codeName;
    if (path !== undefined) this.path = path;
  }
}

export function isZkError(e: unknown, code?: number): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}
