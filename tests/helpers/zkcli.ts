/**
 * Drives Debian's real `zkCli.sh` (the Java ZooKeeperMain): one-shot commands, and an interactive session fed
 * through stdin. stdout and stderr share one pipe so error lines keep their place among normal output.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ZKCLI } from './apache-zk.ts';

/** Lines the JVM and logging print around every run; they say nothing about ZooKeeper's behaviour. */
const NOISE = [/^SLF4J:/, /^\s+at /, /^log4j:/, /^JLine support/, /^Welcome to ZooKeeper!/, /^Connecting to /];

export function cleanZkCliOutput(raw: string): string {
  return raw
    .split('\n')
    .filter((line) => !NOISE.some((re) => re.test(line)))
    .join('\n');
}

function spawnZkCli(connectString: string, args: string[]): ChildProcessWithoutNullStreams {
  const quoted = [ZKCLI, '-server', connectString, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('bash', ['-c', `exec ${quoted} 2>&1`], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `zkCli.sh -server <connect> <args...>` to completion and returns its cleaned output. */
export async function runZkCli(connectString: string, args: string[], timeoutMs = 30_000): Promise<{ output: string; code: number | null }> {
  const proc = spawnZkCli(connectString, args);
  proc.stdin.end();
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { output: cleanZkCliOutput(out), code };
}

/**
 * An interactive zkCli.sh. Each `run(cmd)` is followed by the client-side `version` command, whose banner marks
 * where the command's output ends (without JLine zkCli prints no prompt to wait for).
 */
export class InteractiveZkCli {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private consumed = 0;
  private readonly closed: Promise<void>;
  private static readonly MARK = /ZooKeeper CLI version: [^\n]*\n/;

  constructor(connectString: string) {
    this.proc = spawnZkCli(connectString, []);
    this.proc.stdout.on('data', (d: Buffer) => (this.buffer += d.toString()));
    this.closed = new Promise((resolve) => this.proc.on('close', () => resolve()));
  }

  /** Everything printed so far, cleaned. */
  transcript(): string {
    return cleanZkCliOutput(this.buffer);
  }

  /** Waits until the unconsumed output matches `re`; returns the cleaned output up to and including the match. */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.buffer.slice(this.consumed);
      const m = re.exec(rest);
      if (m) {
        this.consumed += m.index + m[0].length;
        return cleanZkCliOutput(rest.slice(0, m.index + m[0].length));
      }
      if (Date.now() > deadline) {
        throw new Error(`zkCli.sh did not print ${re} within ${timeoutMs} ms; unconsumed output:\n${cleanZkCliOutput(rest)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends one command and returns what it printed (without the end marker). */
  async run(command: string, timeoutMs = 15_000): Promise<string> {
    this.proc.stdin.write(`${command}\nversion\n`);
    const out = await this.waitFor(InteractiveZkCli.MARK, timeoutMs);
    return out.replace(InteractiveZkCli.MARK, '');
  }

  async quit(): Promise<void> {
    if (this.proc.exitCode === null) {
      this.proc.stdin.end('quit\n');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.closed;
      clearTimeout(t);
    }
  }
}
