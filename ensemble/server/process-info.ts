/** Process facts ZooKeeper's mntr reports from the JVM's UnixOperatingSystemMXBean (Linux /proc; 0 elsewhere). */
import fs from 'node:fs';

export function openFileDescriptorCount(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export function maxFileDescriptorCount(): number {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : 0;
  } catch {
    return 0;
  }
}
