import { seededRandom } from '../helpers/prng.ts';

/** The simulator's seeded randomness, so every simulated schedule can be replayed from its seed. */
export class Prng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
