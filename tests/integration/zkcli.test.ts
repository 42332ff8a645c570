/**
 * Our zkcli against Debian's real zkCli.sh: the same commands, against the same server, must print the same
 * text (zxids, times and session ids aside) and exit with the same codes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { REPO_ROOT, startOurServer } from '../helpers/our-server.ts';
import { apacheZkUnavailable, ourServerUnavailable, skipReason, zkCliUnavailable } from '../helpers/compat-env.ts';
import { InteractiveZkCli, cleanZkCliOutput, runZkCli } from '../helpers/zkcli.ts';
import { ZkClient } from '../../ensemble/client/index.ts';

const ZKCLI_TS = path.join(REPO_ROOT, 'ensemble/cli/zkcli.ts');
const MARK = /ZooKeeper CLI version: [^\n]*\n/;

const targets = [
  // extendedTypesEnabled (a `zookeeper.*` system property set through zoo.cfg) lets `create -t` make TTL nodes.
  { name: 'Apache ZooKeeper', start: () => startApacheZk({ config: { extendedTypesEnabled: 'true' } }), needs: apacheZkUnavailable },
  { name: 'our server', start: () => startOurServer({ config: { extendedTypesEnabled: 'true' } }), needs: ourServerUnavailable },
];

function spawnOurs(connectString: string, args: string[]): ChildProcessWithoutNullStreams {
  const argv = [process.execPath, '--import', 'tsx', ZKCLI_TS, '-server', connectString, ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // One pipe for stdout and stderr, as the zkCli.sh helper does, so error lines keep their place.
  return spawn('bash', ['-c', `exec ${quoted} 2>&1`], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function runOurs(connectString: string, args: string[]): Promise<{ output: string; code: number | null }> {
  const proc = spawnOurs(connectString, args);
  proc.stdin.end();
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', (c) => resolve(c)));
  return { output: cleanZkCliOutput(out), code };
}

/** Our zkcli fed through stdin; like the zkCli.sh helper, `version` marks the end of each command's output. */
class InteractiveOurs {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private consumed = 0;
  private readonly closed: Promise<void>;

  constructor(connectString: string) {
    this.proc = spawnOurs(connectString, []);
    this.proc.stdout.on('data', (d: Buffer) => (this.buffer += d.toString()));
    this.closed = new Promise((resolve) => this.proc.on('close', () => resolve()));
  }

  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.buffer.slice(this.consumed);
      const m = re.exec(rest);
      if (m) {
        this.consumed += m.index + m[0].length;
        return cleanZkCliOutput(rest.slice(0, m.index + m[0].length));
      }
      if (Date.now() > deadline) throw new Error(`zkcli did not print ${re}; unconsumed output:\n${rest}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  send(lines: string): void {
    this.proc.stdin.write(lines);
  }

  async run(command: string): Promise<string> {
    this.send(`${command}\nversion\n`);
    return (await this.waitFor(MARK)).replace(MARK, '');
  }

  async quit(): Promise<string> {
    this.proc.stdin.end('quit\n');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.closed;
    clearTimeout(t);
    return cleanZkCliOutput(this.buffer.slice(this.consumed));
  }
}

const JAVA_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}$/;

/** Drops what legitimately differs between two runs: zxids, times, session ids. */
function normalize(output: string): string {
  return output
    .split('\n')
    .map((line) => {
      const stat = /^(cZxid|mZxid|pZxid|ephemeralOwner) = 0x[0-9a-f]+$/.exec(line);
      if (stat) return `${stat[1]} = 0x…`;
      const time = /^(ctime|mtime) = (.*)$/.exec(line);
      if (time) return `${time[1]} = ${JAVA_DATE.test(time[2]!) ? 'DATE' : `BAD DATE ${time[2]}`}`;
      return line;
    })
    .join('\n')
    .trim();
}

/** Commands whose output is deterministic; run in order by both CLIs on a fresh /cli subtree. */
const SCRIPT = [
  'create /cli "123456"',
  'create -s /cli/sn a',
  'create -s /cli/sn b',
  'create -e /cli/eph tmp',
  'create -c /cli/box',
  'create /cli again',
  'create /cli/x/y',
  'create bad',
  'create /cli/trailing/',
  'create -t 60000 /cli/ttl x',
  'create -s -t 60000 /cli/ttl x',
  'create -c -s /cli/z',
  'create -t abc /cli/z',
  'create -e -t 5 /cli/z',
  'ls /cli',
  'ls -s /cli',
  'ls -R /cli',
  'ls /cli/missing',
  'ls',
  'get /cli',
  'get -s /cli',
  'get /cli/missing',
  'get /cli/box',
  'set /cli hello',
  'set -s /cli world',
  'set -v 9 /cli v3',
  'set /cli',
  'stat /cli',
  'stat /cli/missing',
  'getAcl /cli',
  'create /cli/ro x world:anyone:r',
  'set /cli/ro y',
  'create /cli/mixed x world:anyone:cdrwa,ip:127.0.0.1:rw',
  'getAcl -s /cli/mixed',
  'setAcl /cli/mixed world:anyone:ra',
  'setAcl -s /cli/mixed world:anyone:cdrwa',
  'setAcl /cli/mixed digest:u:p',
  'getAcl /cli/mixed',
  'create /cli/dig x digest:u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=:cdrwa',
  'getAcl /cli/dig',
  'get /cli/dig',
  'getEphemerals /cli',
  'getAllChildrenNumber /cli',
  'getAllChildrenNumber /cli/missing',
  'sync /cli',
  'whoami',
  'addauth digest u:p',
  'whoami',
  'removewatches /cli',
  'delete /cli/missing',
  'delete /cli',
  'delete -v 5 /cli/sn0000000001',
  'delete /cli/sn0000000000',
  'printwatches',
  'nosuchcommand',
  'history',
  'deleteall /cli',
  'ls /cli',
];

for (const target of targets) {
  const skip = skipReason(`zkcli vs zkCli.sh against ${target.name}`, zkCliUnavailable, apacheZkUnavailable, target.needs);
  describe.skipIf(skip !== null)(`zkcli vs zkCli.sh against ${target.name}`, () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await target.start();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('prints what zkCli.sh prints for the main commands', async () => {
      const java = new InteractiveZkCli(server.connectString);
      await java.waitFor(/WatchedEvent state:SyncConnected type:None path:null/, 30_000);
      const expected: string[] = [];
      for (const cmd of SCRIPT) expected.push(normalize(await java.run(cmd)));
      await java.quit();

      const ours = new InteractiveOurs(server.connectString);
      await ours.waitFor(/WatchedEvent state:SyncConnected type:None path:null/, 30_000);
      const actual: string[] = [];
      for (const cmd of SCRIPT) actual.push(normalize(await ours.run(cmd)));
      const tail = await ours.quit();

      for (let i = 0; i < SCRIPT.length; i++) {
        expect({ cmd: SCRIPT[i], output: actual[i] }).toEqual({ cmd: SCRIPT[i], output: expected[i] });
      }
      expect(expected.some((o) => o.includes('cZxid = 0x…'))).toBe(true);
      expect(tail).toContain('WatchedEvent state:Closed type:None path:null');
    });

    it('prints watch events like zkCli.sh', async () => {
      const transcript = async (cli: InteractiveZkCli | InteractiveOurs): Promise<string[]> => {
        await cli.waitFor(/WatchedEvent state:SyncConnected type:None path:null/, 30_000);
        const out: string[] = [];
        for (const cmd of ['create /watch 1', 'get -w /watch', 'set /watch 2', 'ls -w /watch', 'create /watch/c', 'stat -w /watch/c', 'delete /watch/c', 'addWatch /watch', 'set /watch 3', 'removewatches /watch', 'deleteall /watch']) {
          out.push(normalize(await cli.run(cmd)));
        }
        await cli.quit();
        // zkCli.sh prints events from another thread, so an event may land before or after the next command's
        // marker: compare all printed lines as a multiset.
        return out.join('\n').split('\n').filter(Boolean).sort();
      };
      const expected = await transcript(new InteractiveZkCli(server.connectString));
      const actual = await transcript(new InteractiveOurs(server.connectString));
      expect(actual).toEqual(expected);
      expect(expected).toContain('WatchedEvent state:SyncConnected type:NodeDataChanged path:/watch');
    });

    it('answers "Not connected" after close, as zkCli.sh does', async () => {
      // zkCli.sh 3.8 prints this (and nothing else) for any ZooKeeper command once its session is closed; even
      // `version`, so the marker trick cannot drive it past `close`.
      const ours = new InteractiveOurs(server.connectString);
      await ours.waitFor(/WatchedEvent state:SyncConnected type:None path:null/, 30_000);
      ours.send('close\nls /\n');
      const out = await ours.waitFor(/Not connected\n/);
      expect(out).toContain('WATCHER::\n\nWatchedEvent state:Closed type:None path:null\n');
      expect(out).not.toContain('[zookeeper]');
      await ours.quit();
    });

    it('exits like zkCli.sh for a one-shot command', async () => {
      const zk = await ZkClient.connect(server.connectString);
      // Each CLI starts from the same tree: `reset` puts it back after zkCli.sh ran.
      const cases: Array<{ args: string[]; reset?: () => Promise<unknown> }> = [
        { args: ['create', '/oneshot', 'x'], reset: () => zk.delete('/oneshot') },
        { args: ['delete', '/missing'] },
        { args: ['bogus'] },
      ];
      try {
        for (const { args, reset } of cases) {
          const java = await runZkCli(server.connectString, args);
          await reset?.();
          const ours = await runOurs(server.connectString, args);
          expect({ args, code: ours.code }).toEqual({ args, code: java.code });
          expect(normalize(ours.output).split('\n').sort()).toEqual(normalize(java.output).split('\n').sort());
        }
      } finally {
        await zk.close();
      }
    });
  });
}
