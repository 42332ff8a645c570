/**
 * zkcli: zkCli.sh's command syntax and output over our client.
 *   npm run zkcli -- -server host:port[/chroot] [-timeout ms] [-r] [command args...]
 * With a command it runs it and exits (non-zero on error); without one it reads commands from stdin.
 */
import readline from 'node:readline';
import { ZkClient, type ClientState, type WatchedEvent } from '../client/index.ts';
import { COMMANDS, USAGE, runZkCommand, usageLines, type CliContext } from './zkcli/commands.ts';
import { formatEvent } from './zkcli/format.ts';
import { CliError, splitCommandLine } from './zkcli/parse.ts';

const out = (line: string): void => void process.stdout.write(line + '\n');
const err = (line: string): void => void process.stderr.write(line + '\n');

/** ZooKeeper.States names, as the prompt shows them. */
const JAVA_STATES: Record<ClientState, string> = {
  connecting: 'CONNECTING',
  connected: 'CONNECTED',
  disconnected: 'CONNECTING',
  expired: 'CLOSED',
  closed: 'CLOSED',
  authfailed: 'AUTH_FAILED',
};

interface Options {
  server: string;
  timeout: number;
  readOnly: boolean;
  command: string[] | null;
}

function parseMainArgs(argv: string[]): Options {
  const o: Options = { server: 'localhost:2181', timeout: 30000, readOnly: false, command: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-server' || a === '-timeout') {
      const v = argv[++i];
      if (v === undefined) {
        err(`Error: no argument found for option ${a}`);
        break;
      }
      if (a === '-server') o.server = v;
      else o.timeout = Number(v);
    } else if (a === '-r') {
      o.readOnly = true;
    } else if (!a.startsWith('-')) {
      o.command = argv.slice(i);
      break;
    }
  }
  return o;
}

class ZkCli {
  private zk!: ZkClient;
  private host = '';
  private printWatches = true;
  private exitCode = 0;
  private commandCount = 0;
  private readonly history = new Map<number, string>();

  constructor(private readonly options: Options) {}

  private onEvent = (e: WatchedEvent): void => {
    if (!this.printWatches) return;
    out('\nWATCHER::');
    out('\n' + formatEvent(e));
  };

  /** Starts a session in the background, as Java's ZooKeeper constructor does; commands queue until it connects. */
  connect(host: string): void {
    if (this.zk && (this.zk.state === 'connected' || this.zk.state === 'connecting' || this.zk.state === 'disconnected')) void this.zk.close();
    this.host = host;
    this.zk = new ZkClient(host, { sessionTimeout: this.options.timeout, readOnly: this.options.readOnly, defaultWatcher: this.onEvent });
    this.zk.connect().catch((e: Error) => err(e.message));
  }

  get context(): CliContext {
    return { zk: this.zk, out, err };
  }

  prompt(): string {
    return `[zk: ${this.host}(${JAVA_STATES[this.zk.state]}) ${this.commandCount}] `;
  }

  /** ZooKeeperMain.processCmd: errors go to stderr and set the exit code. */
  async processCmd(argv: string[]): Promise<void> {
    try {
      await this.processZkCmd(argv);
      this.exitCode = 0;
    } catch (e) {
      const error = e instanceof CliError ? e : new CliError((e as Error).message);
      this.exitCode = error.exitCode;
      err(error.message);
    }
  }

  private async processZkCmd(argv: string[]): Promise<void> {
    const cmd = argv[0];
    if (cmd === undefined) {
      for (const line of usageLines()) err(line);
      throw new CliError('No command entered');
    }
    if (!(cmd in USAGE)) {
      for (const line of usageLines()) err(line);
      throw new CliError(`Command not found: Command not found ${cmd}`, 127);
    }
    switch (cmd) {
      case 'quit':
        await this.zk.close();
        process.exit(this.exitCode);
        return;
      case 'close':
        await this.zk.close();
        return;
      case 'connect':
        this.connect(argv[1] ?? this.host);
        return;
      case 'history':
        for (let i = this.commandCount - 10; i <= this.commandCount; i++) if (i >= 0) out(`${i} - ${this.history.get(i)}`);
        return;
      case 'redo': {
        const i = Number(argv[1]);
        if (argv[1] === undefined || !Number.isInteger(i) || this.commandCount <= i || i < 0) throw new CliError('Command index out of range');
        const line = this.history.get(i)!;
        const again = splitCommandLine(line);
        if (again[0] === 'redo') throw new CliError('No redoing redos');
        this.history.set(this.commandCount, line);
        await this.processCmd(again);
        return;
      }
      case 'printwatches':
        if (argv.length === 1) out(`printwatches is ${this.printWatches ? 'on' : 'off'}`);
        else this.printWatches = argv[1] === 'on';
        return;
    }
    // Everything below needs a live session (ZooKeeper.States#isAlive).
    if (this.zk.state === 'closed' || this.zk.state === 'expired' || this.zk.state === 'authfailed') {
      out('Not connected');
      return;
    }
    if (!COMMANDS[cmd]) throw new CliError(`Command not supported by this zkcli: ${cmd}`);
    await runZkCommand(this.context, argv);
  }

  async executeLine(line: string): Promise<void> {
    if (line === '') return;
    this.history.set(this.commandCount, line);
    await this.processCmd(splitCommandLine(line));
    this.commandCount++;
  }

  async interactive(): Promise<never> {
    out('Welcome to ZooKeeper!');
    const tty = process.stdin.isTTY === true;
    const rl = readline.createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
    // Java prints a prompt only with JLine on a terminal; piped input gets none, so scripts see clean output.
    if (tty) {
      rl.setPrompt(this.prompt());
      rl.prompt();
    }
    for await (const line of rl) {
      await this.executeLine(line.trim() === '' ? '' : line);
      if (tty) {
        rl.setPrompt(this.prompt());
        rl.prompt();
      }
    }
    process.exit(this.exitCode);
  }

  async oneShot(argv: string[]): Promise<never> {
    await this.processCmd(argv);
    // Like zkCli.sh, exit without closing the session (its ephemerals live until it times out).
    process.exit(this.exitCode);
  }
}

async function main(): Promise<void> {
  const options = parseMainArgs(process.argv.slice(2));
  out(`Connecting to ${options.server}`);
  const cli = new ZkCli(options);
  cli.connect(options.server);
  if (options.command) await cli.oneShot(options.command);
  else await cli.interactive();
}

void main();
