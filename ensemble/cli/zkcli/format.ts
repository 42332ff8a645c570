/** zkCli.sh's text formats: StatPrinter, Java's Date.toString(), ACL lines, WatchedEvent.toString(). */
import { EventType, EventTypeNames, KeeperStateNames, Perms } from '../../jute/constants.ts';
import type { ACL, Id, Stat } from '../../jute/records.ts';
import type { WatchedEvent } from '../../client/index.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The local zone's short name as Java prints it ("UTC" for a zero offset). */
function zoneName(date: Date): string {
  if (date.getTimezoneOffset() === 0 && (process.env.TZ ?? 'UTC').match(/^(UTC|Etc\/UTC|GMT|)$/)) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** java.util.Date#toString(): "EEE MMM dd HH:mm:ss zzz yyyy" in the local zone. */
export function javaDate(ms: bigint | number): string {
  const d = new Date(Number(ms));
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zoneName(d)} ${d.getFullYear()}`;
}

/** Long.toHexString: unsigned, lower case, no padding. */
export function javaHex(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

export function formatStat(stat: Stat): string[] {
  return [
    `cZxid = ${javaHex(stat.czxid)}`,
    `ctime = ${javaDate(stat.ctime)}`,
    `mZxid = ${javaHex(stat.mzxid)}`,
    `mtime = ${javaDate(stat.mtime)}`,
    `pZxid = ${javaHex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${javaHex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

/** ZKUtil.getPermString: letters in the order c, d, r, w, a. */
export function permString(perms: number): string {
  let s = '';
  if (perms & Perms.CREATE) s += 'c';
  if (perms & Perms.DELETE) s += 'd';
  if (perms & Perms.READ) s += 'r';
  if (perms & Perms.WRITE) s += 'w';
  if (perms & Perms.ADMIN) s += 'a';
  return s;
}

/** Jute's CSV string escaping (CsvOutputArchive), used by a record's toString(). */
function csvString(s: string): string {
  let out = "'";
  for (const c of s) {
    switch (c) {
      case '\0': out += '%00'; break;
      case '\n': out += '%0A'; break;
      case '\r': out += '%0D'; break;
      case ',': out += '%2C'; break;
      case '}': out += '%7D'; break;
      case '%': out += '%25'; break;
      default: out += c;
    }
  }
  return out;
}

/** Id#toString() is jute's CSV form, ending in a newline: `'world,'anyone` + "\n". */
export function idString(id: Id): string {
  return `${csvString(id.scheme)},${csvString(id.id)}\n`;
}

/** getAcl's lines for one ACL: the id, then ": perms". */
export function formatAcl(acl: ACL): string[] {
  return [idString(acl.id).slice(0, -1), `: ${permString(acl.perms)}`];
}

/** WatchedEvent#toString() of ZooKeeper 3.8. */
export function formatEvent(e: WatchedEvent): string {
  const state = KeeperStateNames[e.state] ?? String(e.state);
  const type = EventTypeNames[e.type] ?? String(e.type);
  const path = e.type === EventType.None && e.path === '' ? 'null' : e.path;
  return `WatchedEvent state:${state} type:${type} path:${path}`;
}

/** java.util.List#toString(). */
export function javaList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}
