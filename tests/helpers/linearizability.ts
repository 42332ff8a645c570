/**
 * A linearizability checker in the style of Wing & Gong with Lowe's memoisation (what Porcupine does): search for
 * an order of the operations that respects real time (an op that returned before another was invoked comes first)
 * and that a sequential model accepts. Histories are partitioned by key first (P-compositionality), since
 * operations on different znodes are independent.
 *
 * An operation whose outcome is unknown (a timeout or connection loss on a write) has `ret = Infinity`: it may take
 * effect at any point after its invocation, or never — the model decides what an unknown output allows.
 */

export interface Operation<I, O> {
  client: number;
  key: string;
  input: I;
  /** undefined = unknown outcome. */
  output: O | undefined;
  call: number;
  /** Infinity when the outcome is unknown. */
  ret: number;
}

export interface Model<S, I, O> {
  init(): S;
  /** Every state the op can lead to from `state` with this output; empty = the output is impossible here. */
  step(state: S, input: I, output: O | undefined): S[];
  /** A canonical string of a state (for memoisation). */
  hash(state: S): string;
}

export interface CheckResult {
  ok: boolean;
  /** The key whose history is not linearizable, when !ok. */
  badKey?: string;
  /** Search gave up (too many states): neither proof nor refutation. */
  exhausted?: boolean;
}

const MAX_VISITED = 2_000_000;

export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): CheckResult {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  for (const [key, ops] of byKey) {
    const r = checkOne(model, ops);
    if (r === 'exhausted') return { ok: false, badKey: key, exhausted: true };
    if (!r) return { ok: false, badKey: key };
  }
  return { ok: true };
}

function checkOne<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean | 'exhausted' {
  const n = ops.length;
  const sorted = [...ops].sort((a, b) => a.call - b.call);
  const seen = new Set<string>();
  let visited = 0;
  const done = new Uint8Array(n);

  // Iterative DFS to stay off the call stack for long histories.
  type Frame = { state: S; candidates: { i: number; next: S }[]; at: number; chosen: number };
  const candidatesFrom = (state: S): { i: number; next: S }[] => {
    // Only ops invoked before the earliest return among pending ops may go next (real-time order).
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && sorted[i]!.ret < minRet) minRet = sorted[i]!.ret;
    const out: { i: number; next: S }[] = [];
    for (let i = 0; i < n; i++) {
      const op = sorted[i]!;
      if (done[i]) continue;
      if (op.call > minRet) break;
      for (const next of model.step(state, op.input, op.output)) out.push({ i, next });
    }
    return out;
  };
  const remaining = () => {
    for (let i = 0; i < n; i++) if (!done[i]) return true;
    return false;
  };
  const keyOf = (state: S) => {
    let bits = '';
    for (let i = 0; i < n; i++) bits += done[i] ? '1' : '0';
    return bits + '|' + model.hash(state);
  };

  const stack: Frame[] = [{ state: model.init(), candidates: candidatesFrom(model.init()), at: 0, chosen: -1 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.chosen >= 0) {
      done[top.chosen] = 0;
      top.chosen = -1;
    }
    if (!remaining()) return true;
    if (top.at >= top.candidates.length) {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && parent.chosen >= 0) {
        done[parent.chosen] = 0;
        parent.chosen = -1;
      }
      continue;
    }
    const c = top.candidates[top.at++]!;
    done[c.i] = 1;
    const k = keyOf(c.next);
    if (seen.has(k)) {
      done[c.i] = 0;
      continue;
    }
    seen.add(k);
    if (++visited > MAX_VISITED) return 'exhausted';
    if (!remaining()) return true;
    top.chosen = c.i;
    stack.push({ state: c.next, candidates: candidatesFrom(c.next), at: 0, chosen: -1 });
  }
  return false;
}

// ---------------------------------------------------------------- a versioned register (a znode's data + version)

export interface Register {
  value: string;
  version: number;
}

export type RegisterInput = { type: 'read' } | { type: 'cas'; expectedVersion: number; value: string };
export type RegisterOutput = { type: 'read'; value: string; version: number } | { type: 'cas'; ok: boolean };

/** getData (after sync) and setData with an expected version, as ZooKeeper defines them. */
export function znodeRegisterModel(initial: Register): Model<Register, RegisterInput, RegisterOutput> {
  return {
    init: () => initial,
    hash: (s) => `${s.version}:${s.value}`,
    step(s, input, output) {
      if (input.type === 'read') {
        if (output === undefined) return [s];
        return output.type === 'read' && output.value === s.value && output.version === s.version ? [s] : [];
      }
      const applies = s.version === input.expectedVersion;
      const applied = { value: input.value, version: s.version + 1 };
      if (output === undefined) return applies ? [applied, s] : [s];
      if (output.type !== 'cas') return [];
      if (output.ok) return applies ? [applied] : [];
      return applies ? [] : [s];
    },
  };
}
