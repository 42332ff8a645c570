// A snapshot written in slices while txns keep applying must be exactly the tree as of the txn where it began.

import { describe, expect, it } from 'vitest';
import { DataTree } from '../../ensemble/tree/data-tree.ts';
import { OPEN_ACL_UNSAFE } from '../../ensemble/tree/acl.ts';
import type { TxnOp, WriteOp } from '../../ensemble/tree/api.ts';
import type { ACL } from '../../ensemble/jute/records.ts';
import { seededRandom } from '../helpers/prng.ts';

const OPEN = OPEN_ACL_UNSAFE as ACL[];
const READ_ONLY: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

class Driver {
  readonly tree = new DataTree();
  private zxid = 0n;
  constructor(private readonly random: () => number) {}

  apply(op: TxnOp, session = 1n): void {
    this.tree.apply({ hdr: { sessionId: session, cxid: 0, zxid: ++this.zxid, time: 1_000n + this.zxid }, auth: [], op });
  }

  /** Some existing path under /s (or /s itself). */
  private somePath(): string {
    const r = this.tree.getChildren('/s', []);
    const kids = 'value' in r ? r.value.children : [];
    if (kids.length === 0 || this.random() < 0.1) return '/s';
    const first = `/s/${kids[Math.floor(this.random() * kids.length)]}`;
    const r2 = this.tree.getChildren(first, []);
    const grandkids = 'value' in r2 ? r2.value.children : [];
    return grandkids.length > 0 && this.random() < 0.5 ? `${first}/${grandkids[Math.floor(this.random() * grandkids.length)]}` : first;
  }

  private create(parent: string, ephemeral = false): WriteOp {
    return { type: 'create', opcode: 15, path: `${parent}/n${Math.floor(this.random() * 40)}`, data: Buffer.from(`d${this.zxid}`), acl: OPEN, flags: ephemeral ? 1 : 0, ttl: -1n };
  }

  randomTxn(): void {
    const p = this.somePath();
    const roll = this.random();
    if (roll < 0.3) this.apply(this.create(p === '/s' || this.random() < 0.5 ? '/s' : p));
    else if (roll < 0.5) this.apply({ type: 'setData', path: p, data: Buffer.from(`v${this.zxid}`), version: -1 });
    else if (roll < 0.65) this.apply({ type: 'delete', path: p, version: -1 });
    else if (roll < 0.72) this.apply({ type: 'setACL', path: p, acl: this.random() < 0.5 ? READ_ONLY : OPEN, version: -1 });
    else if (roll < 0.8) this.apply(this.create('/s', true), 7n);
    else if (roll < 0.85) this.apply({ type: 'closeSession' }, 7n), this.apply({ type: 'createSession', timeout: 30_000, password: Buffer.alloc(16) }, 7n);
    else {
      // A multi that fails half the time at its last op: everything before it is undone.
      const ops: WriteOp[] = [
        { type: 'setData', path: p, data: Buffer.from('m'), version: -1 },
        this.create('/s'),
        { type: 'delete', path: this.somePath(), version: -1 },
        { type: 'check', path: '/s', version: this.random() < 0.5 ? -1 : 12345 },
      ];
      this.apply({ type: 'multi', ops });
    }
  }
}

const SUPER = [{ scheme: 'super', id: '' }];

/** Every node (sorted by path) with data, Stat and ACL, the sessions and lastZxid: equal trees, equal text. */
function describeTree(tree: DataTree): string {
  const lines = [`lastZxid ${tree.lastZxid}`, ...[...tree.sessions()].map((s) => `session ${s.sessionId} ${s.timeout}`).sort()];
  const paths = ['/'];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const r = tree.getChildren(path, SUPER);
    if (!('value' in r)) throw new Error(`no ${path}`);
    for (const c of [...r.value.children].sort()) paths.push(path === '/' ? `/${c}` : `${path}/${c}`);
  }
  for (const path of paths.sort()) {
    const data = tree.getData(path, SUPER);
    const acl = tree.getACL(path, SUPER);
    lines.push(JSON.stringify({ path, data, acl }, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }
  return lines.join('\n');
}

describe('SnapshotInProgress', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`equals the tree as of its start while txns apply between slices (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const d = new Driver(random);
      d.apply({ type: 'createSession', timeout: 30_000, password: Buffer.alloc(16) }, 7n);
      d.apply({ type: 'create', opcode: 15, path: '/s', data: null, acl: OPEN, flags: 0, ttl: -1n });
      for (let i = 0; i < 60; i++) d.apply({ type: 'create', opcode: 15, path: `/s/n${i}`, data: Buffer.from('x'), acl: OPEN, flags: 0, ttl: -1n });
      for (let i = 0; i < 400; i++) d.randomTxn();

      const expected = d.tree.serialize();
      const snapshot = d.tree.beginSnapshot();
      // Slices of 5 nodes; several txns apply between slices.
      let slices = 0;
      while (!snapshot.step(0, 5)) {
        for (let i = 0; i < 20; i++) d.randomTxn();
        slices++;
      }
      for (let i = 0; i < 50; i++) d.randomTxn();
      expect(snapshot.zxid).toBe(DataTree.deserialize(expected).lastZxid);
      expect(describeTree(DataTree.deserialize(snapshot.bytes()))).toBe(describeTree(DataTree.deserialize(expected)));
      expect(slices).toBeGreaterThan(5);
    });
  }

  it('keeps deleted subtrees parents-first and the changed ACLs as they were', () => {
    const d = new Driver(seededRandom(99));
    d.apply({ type: 'create', opcode: 15, path: '/s', data: null, acl: OPEN, flags: 0, ttl: -1n });
    for (let i = 0; i < 300; i++) d.apply({ type: 'create', opcode: 15, path: `/s/a${i}`, data: Buffer.from('x'), acl: OPEN, flags: 0, ttl: -1n });
    d.apply({ type: 'create', opcode: 15, path: '/s/a299/leaf', data: Buffer.from('y'), acl: OPEN, flags: 0, ttl: -1n });
    const expected = d.tree.serialize();
    const snapshot = d.tree.beginSnapshot();
    expect(snapshot.step(0, 10)).toBe(false);
    // Not reached yet: a child then its parent go, a reached node changes ACL, and the same path is created again.
    d.apply({ type: 'delete', path: '/s/a299/leaf', version: -1 });
    d.apply({ type: 'delete', path: '/s/a299', version: -1 });
    d.apply({ type: 'setACL', path: '/s/a1', acl: READ_ONLY, version: -1 });
    d.apply({ type: 'create', opcode: 15, path: '/s/a299', data: Buffer.from('new'), acl: READ_ONLY, flags: 0, ttl: -1n });
    while (!snapshot.step(0, 10));
    const restored = DataTree.deserialize(snapshot.bytes());
    expect(describeTree(restored)).toBe(describeTree(DataTree.deserialize(expected)));
    expect(restored.getData('/s/a299/leaf', []).err).toBe(0);
  });

  it('a cancelled snapshot stops keeping copies and cannot be stepped', () => {
    const d = new Driver(seededRandom(5));
    d.apply({ type: 'create', opcode: 15, path: '/s', data: null, acl: OPEN, flags: 0, ttl: -1n });
    const snapshot = d.tree.beginSnapshot();
    snapshot.cancel();
    d.apply({ type: 'setData', path: '/s', data: Buffer.from('z'), version: -1 });
    expect(snapshot.done).toBe(true);
    expect(() => snapshot.step(0)).toThrow(/cancelled/);
  });
});
