/**
 * kazoo (a real third-party Python client) against our server, through kazoo_scenario.py. The same expectations
 * run against Apache ZooKeeper, which proves they are ZooKeeper's behaviour and not ours.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAZOO_PYTHON, startApacheZk, type RunningServer } from '../helpers/apache-zk.ts';
import { startOurServer } from '../helpers/our-server.ts';
import { apacheZkUnavailable, kazooUnavailable, ourServerUnavailable, skipReason } from '../helpers/compat-env.ts';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kazoo_scenario.py');

const targets = [
  { name: 'Apache ZooKeeper', start: () => startApacheZk(), needs: [apacheZkUnavailable] },
  { name: 'our server', start: () => startOurServer(), needs: [ourServerUnavailable] },
];

type Results = Record<string, unknown>;

async function runScenario(connectString: string): Promise<{ results: Results | null; stdout: string; stderr: string; code: number | null }> {
  const proc = spawn(KAZOO_PYTHON, [SCRIPT, connectString], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 50_000);
  const code = await new Promise<number | null>((resolve) => proc.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const last = stdout.trim().split('\n').pop() ?? '';
  let results: Results | null = null;
  try {
    results = JSON.parse(last) as Results;
  } catch {
    results = null;
  }
  return { results, stdout, stderr, code };
}

const err = (name: string) => ({ error: name });

for (const target of targets) {
  const skip = skipReason(`kazoo against ${target.name}`, kazooUnavailable, apacheZkUnavailable, ...target.needs);
  describe.skipIf(skip !== null)(`kazoo against ${target.name}`, () => {
    let server: RunningServer;
    let r: Results;

    beforeAll(async () => {
      server = await target.start();
      const run = await runScenario(server.connectString);
      if (!run.results) {
        throw new Error(`kazoo_scenario.py printed no JSON (exit ${run.code})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      }
      r = run.results;
    }, 90_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('connects with a session', () => {
      expect(r.connected).toBe(true);
      expect(r.session_id_nonzero).toBe(true);
    });

    it('create/get/set/delete honour versions and report ZooKeeper errors', () => {
      expect(r.ensure_path).toBe(true);
      expect(r.create).toBe('/kazoo/node');
      expect(r.create_again).toEqual(err('NodeExistsError'));
      expect(r.get).toEqual({
        data: 'v1',
        stat: { version: 0, cversion: 0, aversion: 0, numChildren: 0, dataLength: 2, ephemeralOwner: 0, czxid_eq_mzxid: true },
      });
      expect(r.set_v0).toEqual({ version: 1, cversion: 0, aversion: 0, numChildren: 0, dataLength: 2, ephemeralOwner: 0, czxid_eq_mzxid: false });
      expect(r.set_stale).toEqual(err('BadVersionError'));
      expect(r.get_after_set).toBe('v2');
      expect(r.get_missing).toEqual(err('NoNodeError'));
      expect(r.delete_stale).toEqual(err('BadVersionError'));
      expect(r.delete_not_empty).toEqual(err('NotEmptyError'));
      expect(r.delete_ok).toBe(true);
      expect(r.exists_after_delete).toBeNull();
      expect(r.delete_recursive).toBe(true);
      expect(r.create_makepath).toBe('/kazoo/deep/er/node');
      expect(r.create_no_parent).toEqual(err('NoNodeError'));
    });

    it('sequential and ephemeral nodes', () => {
      expect(r.sequential).toEqual(['/kazoo/seq/n-0000000000', '/kazoo/seq/n-0000000001', '/kazoo/seq/n-0000000002']);
      expect(r.seq_children).toEqual(['n-0000000000', 'n-0000000001', 'n-0000000002']);
      expect(r.ephemeral_owner_is_session).toBe(true);
      expect(r.child_of_ephemeral).toEqual(err('NoChildrenForEphemeralsError'));
      expect(r.ephemeral_sequential).toBe('/kazoo/seq/e-0000000003');
    });

    it('DataWatch, ChildrenWatch and a one-time exists watch', () => {
      expect(r.data_watch).toEqual([
        { data: 'd0', version: 0, event: null },
        { data: 'd1', version: 1, event: 'CHANGED' },
        { data: 'd2', version: 2, event: 'CHANGED' },
        { data: null, version: null, event: 'DELETED' },
      ]);
      expect(r.children_watch).toEqual([[], ['a'], ['a', 'b'], ['b']]);
      expect(r.exists_watch).toEqual([{ type: 'CREATED', path: '/kazoo/later' }]);
    });

    it('transactions commit all ops, or roll back with per-op errors', () => {
      expect(r.transaction).toEqual([
        true,
        '/kazoo/tx/a',
        { version: 1, cversion: 1, aversion: 0, numChildren: 1, dataLength: 2, ephemeralOwner: 0, czxid_eq_mzxid: false },
        true,
      ]);
      expect(r.transaction_failed).toEqual(['RolledBackError', 'BadVersionError', 'RuntimeInconsistency']);
      expect(r.after_failed_tx).toEqual({ b_exists: false, data: 't1' });
    });

    it('the Lock recipe hands the lock from one session to another', () => {
      expect(r.lock1_acquire).toBe(true);
      expect(r.lock2_nonblocking).toBe(false);
      expect(r.contenders).toEqual(['one']);
      expect(r.lock2_waiting_before_release).toEqual([]);
      expect(r.lock2_after_release).toEqual([true]);
      expect(r.contenders_after).toEqual(['two']);
    });

    it('digest auth: the owner reads, others are denied, an unknown scheme fails auth', () => {
      expect(r.secure_create).toBe('/kazoo/secure');
      // The id is the base64 SHA-1 of "alice:secret", the digest ZooKeeper stores.
      expect(r.secure_get_acls).toEqual([{ perms: 31, scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' }]);
      expect(r.secure_read_by_owner).toBe('s');
      expect(r.secure_read_anonymous).toEqual(err('NoAuthError'));
      expect(r.secure_write_anonymous).toEqual(err('NoAuthError'));
      // exists needs no permission, and delete is checked against the parent's ACL (world:anyone here).
      expect(r.secure_exists_anonymous).toBe(true);
      expect(r.secure_delete_anonymous).toBe(true);
      expect(r.auth_unknown_scheme).toEqual(err('AuthFailedError'));
    });

    it('closing a session deletes its ephemerals and fires watches of other sessions', () => {
      expect(r.zk2_ephemeral).toBe('/kazoo/zk2eph');
      expect(r.ephemeral_deleted_event).toEqual([{ type: 'DELETED', path: '/kazoo/zk2eph' }]);
      expect(r.ephemeral_gone).toBe(true);
    });
  });
}
