/**
 * Holds a client's connect request that arrives while this node is between leaders, for a short while, and lets it
 * through the moment the node serves again. ZooKeeper closes such a connection at once; the client then sleeps up
 * to a second before its next try, which is most of a failover's time when the election itself takes ~0.4 s.
 * The hold is short so that a node cut off from the quorum only delays a client's move to another server by it.
 */
export class ServingGate {
  private readonly waiters = new Set<(serving: boolean) => void>();

  constructor(
    private readonly isServing: () => boolean,
    readonly holdMs: number,
  ) {}

  /** Call on every change to serving: releases everyone waiting. */
  servingNow(): void {
    for (const release of this.waiters) release(true);
    this.waiters.clear();
  }

  /** Resolves true when the node serves (now, or within holdMs), false otherwise. */
  wait(): Promise<boolean> {
    if (this.isServing()) return Promise.resolve(true);
    if (this.holdMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const release = (serving: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(release);
        resolve(serving);
      };
      const timer = setTimeout(() => release(this.isServing()), this.holdMs);
      this.waiters.add(release);
    });
  }

  /** Refuses everyone still waiting (the node is closing). */
  close(): void {
    for (const release of this.waiters) release(false);
    this.waiters.clear();
  }
}
