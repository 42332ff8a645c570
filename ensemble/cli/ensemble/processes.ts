/** Pid files, and whether a pid still belongs to the program we started (pids are reused). */
import fs from 'node:fs';

export function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writePid(file: string, pid: number): void {
  fs.writeFileSync(file, `${pid}\n`);
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Alive, and (where /proc exists) running a command line that mentions `marker`. */
export function isOurs(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return !fs.existsSync('/proc'); // no procfs: trust the signal check
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone; false after `timeoutMs`. */
export async function waitGone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurs(pid, marker)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
