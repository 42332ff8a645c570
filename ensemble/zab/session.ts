/**
 * One direction of a leader↔learner session: numbers what we send and re-orders what we receive,
 * dropping duplicates. A lost packet leaves a gap that is never filled; the session then goes
 * quiet and the heartbeat timeouts end it, which is what a broken TCP connection does.
 */
import type { QuorumBody } from './messages.ts';

/** Packets held waiting for a gap; beyond this the session is hopeless. */
export const MAX_REORDER_WINDOW = 4096;

export class InboundSequencer {
  private next = 0;
  private readonly held = new Map<number, QuorumBody>();

  /** Returns the packets now deliverable in order, or null when the reorder window overflowed. */
  accept(seq: number, body: QuorumBody): QuorumBody[] | null {
    if (seq < this.next || this.held.has(seq)) return [];
    if (seq > this.next) {
      if (this.held.size >= MAX_REORDER_WINDOW) return null;
      this.held.set(seq, body);
      return [];
    }
    const out = [body];
    this.next++;
    for (let b = this.held.get(this.next); b !== undefined; b = this.held.get(this.next)) {
      this.held.delete(this.next);
      out.push(b);
      this.next++;
    }
    return out;
  }
}
