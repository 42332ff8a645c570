/**
 * One server's side of Fast Leader Election while it is LOOKING (FastLeaderElection.lookForLeader):
 * rounds numbered by a logical clock, our proposal replaced by any better vote, and a conclusion once
 * a quorum of voters agrees (after finalizeWait ticks without a better vote) or once a quorum reports
 * following a leader that itself says LEADING. Answering LOOKING peers while we are settled is the
 * node's job: it knows the vote it settled on.
 */
import { isQuorum, leaderConfirmed, supporters, voteBeats, type TalliedVote } from './election.ts';
import { ServerState, type Notification, type Vote } from './messages.ts';

export interface ElectionOutput {
  send: { to: number; message: Notification }[];
  /** Set when this round concluded: the vote everyone settled on. */
  elected: Vote | null;
}

export interface ElectionSettings {
  myId: number;
  voters: ReadonlySet<number>;
  finalizeWaitTicks: number;
  resendTicks: number;
  /** Our own candidacy (last logged zxid, currentEpoch), read when a round starts; null for observers. */
  ownHistory: () => { zxid: bigint; peerEpoch: bigint } | null;
}

export class FastLeaderElection {
  private clock = 0n;
  private proposal: Vote = { leader: -1, zxid: -1n, electionEpoch: 0n, peerEpoch: -1n };
  private readonly recv = new Map<number, TalliedVote>();
  private readonly outOfElection = new Map<number, TalliedVote>();
  private finalizeAt: number | null = null;
  private nextResendAt = 0;
  private out: ElectionOutput = { send: [], elected: null };

  constructor(private readonly s: ElectionSettings) {}

  get logicalClock(): bigint {
    return this.clock;
  }

  start(now: number): ElectionOutput {
    this.clock++;
    this.proposal = this.initialVote();
    this.recv.clear();
    this.outOfElection.clear();
    this.finalizeAt = null;
    this.broadcast(now);
    if (this.isVoter(this.s.myId)) this.checkTermination(now);
    return this.flush();
  }

  tick(now: number): ElectionOutput {
    if (this.finalizeAt !== null && now >= this.finalizeAt) {
      this.finalizeAt = null;
      if (this.proposalHasQuorum()) {
        this.conclude(this.proposal);
        return this.flush();
      }
    }
    if (now >= this.nextResendAt) this.broadcast(now);
    return this.flush();
  }

  onNotification(now: number, from: number, n: Notification): ElectionOutput {
    const iAmObserver = !this.isVoter(this.s.myId);
    if (!this.isVoter(from)) {
      // Observers learn the leader from voters' answers; their own votes count for nothing.
      if (!iAmObserver) this.reply(from);
      return this.flush();
    }
    const vote: TalliedVote = { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: n.state };
    const isVoter = (id: number): boolean => this.isVoter(id);
    if (n.state === ServerState.LOOKING) {
      if (n.electionEpoch > this.clock) {
        this.clock = n.electionEpoch;
        this.recv.clear();
        const mine = this.initialVote();
        this.proposal = voteBeats(vote, mine, isVoter) ? { leader: vote.leader, zxid: vote.zxid, electionEpoch: this.clock, peerEpoch: vote.peerEpoch } : mine;
        this.finalizeAt = null;
        this.broadcast(now);
      } else if (n.electionEpoch < this.clock) {
        // A peer in an older round: tell it about ours (an observer never answers, or two would echo forever).
        if (!iAmObserver) this.reply(from);
        return this.flush();
      } else if (voteBeats(vote, this.proposal, isVoter)) {
        this.proposal = { leader: vote.leader, zxid: vote.zxid, electionEpoch: this.clock, peerEpoch: vote.peerEpoch };
        this.finalizeAt = null;
        this.broadcast(now);
      } else if (vote.leader !== this.proposal.leader || vote.zxid !== this.proposal.zxid) {
        // The sender has not seen my better vote (it may have been following when I broadcast it): tell it now
        // rather than after a resend interval. Votes are totally ordered, so this cannot ping-pong.
        this.reply(from);
      }
      this.recv.set(from, vote);
      this.checkTermination(now);
      return this.flush();
    }
    if (n.state === ServerState.OBSERVING) return this.flush();
    // The sender already follows or leads: join it if a quorum agrees and the leader itself confirmed.
    if (n.electionEpoch === this.clock) {
      this.recv.set(from, vote);
      if (this.settledQuorum(this.recv, vote)) {
        this.conclude(vote);
        return this.flush();
      }
    }
    this.outOfElection.set(from, vote);
    if (this.settledQuorum(this.outOfElection, vote)) {
      this.clock = vote.electionEpoch;
      this.conclude(vote);
    }
    return this.flush();
  }

  private settledQuorum(votes: ReadonlyMap<number, TalliedVote>, vote: TalliedVote): boolean {
    return (
      isQuorum(supporters(votes, vote, (id) => this.isVoter(id)).size, this.s.voters.size) &&
      leaderConfirmed(votes, vote.leader, this.s.myId, vote.electionEpoch, this.clock)
    );
  }

  private initialVote(): Vote {
    const own = this.s.ownHistory();
    if (!own) return { leader: -1, zxid: -1n, electionEpoch: this.clock, peerEpoch: -1n };
    return { leader: this.s.myId, zxid: own.zxid, electionEpoch: this.clock, peerEpoch: own.peerEpoch };
  }

  private proposalHasQuorum(): boolean {
    const target: TalliedVote = { ...this.proposal, electionEpoch: this.clock, state: ServerState.LOOKING };
    const agreeing = supporters(this.recv, target, (id) => this.isVoter(id));
    if (this.isVoter(this.s.myId)) agreeing.add(this.s.myId);
    return isQuorum(agreeing.size, this.s.voters.size);
  }

  private checkTermination(now: number): void {
    if (this.finalizeAt !== null || !this.proposalHasQuorum()) return;
    if (this.s.finalizeWaitTicks <= 0) this.conclude(this.proposal);
    else this.finalizeAt = now + this.s.finalizeWaitTicks;
  }

  private conclude(vote: Vote): void {
    if (vote.leader < 0) return;
    this.finalizeAt = null;
    this.recv.clear();
    this.outOfElection.clear();
    this.out.elected = { leader: vote.leader, zxid: vote.zxid, electionEpoch: vote.electionEpoch, peerEpoch: vote.peerEpoch };
  }

  private broadcast(now: number): void {
    this.nextResendAt = now + this.s.resendTicks;
    for (const id of this.s.voters) if (id !== this.s.myId) this.reply(id);
  }

  private reply(to: number): void {
    const p = this.proposal;
    this.out.send.push({
      to,
      message: { kind: 'notification', state: ServerState.LOOKING, leader: p.leader, zxid: p.zxid, electionEpoch: this.clock, peerEpoch: p.peerEpoch },
    });
  }

  private flush(): ElectionOutput {
    const o = this.out;
    this.out = { send: [], elected: null };
    return o;
  }

  private isVoter(id: number): boolean {
    return this.s.voters.has(id);
  }
}
