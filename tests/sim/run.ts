/**
 * Replays one simulated schedule, or sweeps many:
 *   SEED=42 VOTERS=3 OBSERVERS=0 npx tsx tests/sim/run.ts
 *   SEEDS=1-500 VOTERS=5 npx tsx tests/sim/run.ts
 *   (CHAOS=ticks lengthens the faulty phase, LYING_DISK=1 sabotages fsync, TRACE=1 prints events)
 */
import { simulate, SimFailure } from './simulator.ts';

const voters = Number(process.env.VOTERS ?? 3);
const observers = Number(process.env.OBSERVERS ?? 0);
const range = process.env.SEEDS ?? process.env.SEED ?? '1';
const [lo, hi] = range.includes('-') ? range.split('-').map(Number) : [Number(range), Number(range)];

let failures = 0;
const started = performance.now();
for (let seed = lo!; seed <= hi!; seed++) {
  try {
    const r = simulate({ seed, voters, observers, chaosTicks: process.env.CHAOS ? Number(process.env.CHAOS) : undefined, lyingDisk: !!process.env.LYING_DISK, trace: process.env.TRACE ? (l) => console.log(l) : undefined });
    if (lo === hi) console.log(r);
  } catch (err) {
    failures++;
    console.error(err instanceof SimFailure ? err.message : err);
    if (lo === hi && err instanceof SimFailure) console.error((err.failure as Error)?.stack);
  }
}
console.log(`${hi! - lo! + 1} seeds, ${failures} failed, ${Math.round(performance.now() - started)} ms`);
process.exitCode = failures > 0 ? 1 : 0;
