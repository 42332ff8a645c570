/** zkCli.sh's argument handling: its line tokenizer and a commons-cli-like option parser. */

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** ZooKeeperMain.MyCommandOptions.parseCommand: whitespace-separated, '…' and "…" keep spaces (quotes dropped). */
export function splitCommandLine(line: string): string[] {
  const re = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g;
  const args: string[] = [];
  for (const m of line.matchAll(re)) {
    let v = m[1]!;
    const q = /^(['"])(.*)\1$/s.exec(v);
    if (q) v = q[2]!;
    args.push(v);
  }
  return args;
}

export interface ParsedArgs {
  /** Non-option arguments, the command name first (as Java's CommandLine.getArgs()). */
  args: string[];
  options: Map<string, string | true>;
}

/** Options anywhere on the line; `spec` maps an option letter to whether it takes a value. */
export function parseOptions(argv: string[], spec: Record<string, boolean>): ParsedArgs {
  const args: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (i > 0 && a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const name = a.slice(1);
      if (!(name in spec)) throw new CliError(`Unrecognized option: ${a}`);
      if (spec[name]) {
        const value = argv[++i];
        if (value === undefined) throw new CliError(`Missing argument for option: ${name}`);
        options.set(name, value);
      } else {
        options.set(name, true);
      }
    } else {
      args.push(a);
    }
  }
  return { args, options };
}
