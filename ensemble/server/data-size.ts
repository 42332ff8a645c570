/**
 * ZooKeeper's approximate data size (mntr zk_approximate_data_size): the sum over every znode of its path length
 * plus its data length. Walking the tree is O(nodes), so the value is cached for a few seconds between scrapes.
 */
import type { DataTreeApi } from '../tree/api.ts';

const SUPER = [{ scheme: 'super', id: '' }];

export function approximateDataSize(tree: DataTreeApi): number {
  let total = 0;
  const stack = ['/'];
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    const stat = tree.exists(p);
    if (!stat) continue;
    total += Buffer.byteLength(p) + stat.dataLength;
    const r = tree.getChildren(p, SUPER);
    if (r.err !== 0 || !('value' in r)) continue;
    for (const c of r.value.children) stack.push(p === '/' ? `/${c}` : `${p}/${c}`);
  }
  return total;
}

export function cachedDataSize(tree: DataTreeApi, maxAgeMs = 5000, now: () => number = Date.now): () => number {
  let value = 0;
  let at = -Infinity;
  let zxid = -1n;
  return () => {
    if (tree.lastZxid !== zxid && now() - at >= maxAgeMs) {
      value = approximateDataSize(tree);
      at = now();
      zxid = tree.lastZxid;
    }
    return value;
  };
}
