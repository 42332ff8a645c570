"""kazoo (the Python ZooKeeper client) against a server given as host:port; prints one JSON object of results.

Every step records what kazoo returned or the name of the exception it raised, so the TypeScript test can
assert on plain values. Run with Debian's /usr/bin/python3, which has python3-kazoo.
"""
import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import make_digest_acl
from kazoo.recipe.lock import Lock

HOSTS = sys.argv[1]
ROOT = "/kazoo"
results = {}


def record(name, fn):
    """Stores fn()'s value, or the exception's class name, under `name`."""
    try:
        results[name] = fn()
    except KazooException as e:
        results[name] = {"error": type(e).__name__}
    except Exception as e:  # a non-ZooKeeper failure is still a result worth showing
        results[name] = {"error": type(e).__name__, "message": str(e)}
    return results[name]


def stat_dict(stat):
    return {
        "version": stat.version,
        "cversion": stat.cversion,
        "aversion": stat.aversion,
        "numChildren": stat.numChildren,
        "dataLength": stat.dataLength,
        "ephemeralOwner": stat.ephemeralOwner,
        "czxid_eq_mzxid": stat.czxid == stat.mzxid,
    }


def wait_until(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def client(**kw):
    zk = KazooClient(hosts=HOSTS, timeout=10.0, **kw)
    zk.start(timeout=15)
    return zk


zk = client()
if zk.exists(ROOT):
    zk.delete(ROOT, recursive=True)  # left over from an interrupted run against a long-lived server
results["connected"] = zk.connected
results["session_id_nonzero"] = zk.client_id[0] != 0

# CRUD with versions
record("ensure_path", lambda: zk.ensure_path(ROOT + "/a/b") and zk.exists(ROOT + "/a/b") is not None)
record("create", lambda: zk.create(ROOT + "/node", b"v1"))
record("create_again", lambda: zk.create(ROOT + "/node", b"v1"))
record("get", lambda: (lambda d, s: {"data": d.decode(), "stat": stat_dict(s)})(*zk.get(ROOT + "/node")))
record("set_v0", lambda: stat_dict(zk.set(ROOT + "/node", b"v2", version=0)))
record("set_stale", lambda: stat_dict(zk.set(ROOT + "/node", b"v3", version=0)))
record("get_after_set", lambda: zk.get(ROOT + "/node")[0].decode())
record("get_missing", lambda: zk.get(ROOT + "/missing"))
record("delete_stale", lambda: zk.delete(ROOT + "/node", version=0))
record("delete_not_empty", lambda: zk.delete(ROOT + "/a"))
record("delete_ok", lambda: zk.delete(ROOT + "/node", version=1))
record("exists_after_delete", lambda: zk.exists(ROOT + "/node"))
record("delete_recursive", lambda: zk.delete(ROOT + "/a", recursive=True) or zk.exists(ROOT + "/a") is None)
record("create_makepath", lambda: zk.create(ROOT + "/deep/er/node", b"x", makepath=True))
record("create_no_parent", lambda: zk.create(ROOT + "/nope/child", b"x"))

# sequential and ephemeral
zk.ensure_path(ROOT + "/seq")
record("sequential", lambda: [zk.create(ROOT + "/seq/n-", b"", sequence=True) for _ in range(3)])
record("seq_children", lambda: sorted(zk.get_children(ROOT + "/seq")))
record("ephemeral_owner_is_session", lambda: zk.exists(zk.create(ROOT + "/eph", b"e", ephemeral=True)).ephemeralOwner == zk.client_id[0])
record("child_of_ephemeral", lambda: zk.create(ROOT + "/eph/child", b""))
record("ephemeral_sequential", lambda: zk.create(ROOT + "/seq/e-", b"", ephemeral=True, sequence=True))

# DataWatch / ChildrenWatch
data_calls = []
zk.create(ROOT + "/watched", b"d0")


@zk.DataWatch(ROOT + "/watched")
def on_data(data, stat, event):
    data_calls.append({
        "data": None if data is None else data.decode(),
        "version": None if stat is None else stat.version,
        "event": None if event is None else event.type,
    })


zk.set(ROOT + "/watched", b"d1")
wait_until(lambda: len(data_calls) >= 2)
zk.set(ROOT + "/watched", b"d2")
wait_until(lambda: len(data_calls) >= 3)
zk.delete(ROOT + "/watched")
wait_until(lambda: len(data_calls) >= 4)
results["data_watch"] = list(data_calls)

child_calls = []
zk.ensure_path(ROOT + "/kids")


@zk.ChildrenWatch(ROOT + "/kids")
def on_children(children):
    child_calls.append(sorted(children))


zk.create(ROOT + "/kids/a", b"")
wait_until(lambda: len(child_calls) >= 2)
zk.create(ROOT + "/kids/b", b"")
wait_until(lambda: len(child_calls) >= 3)
zk.delete(ROOT + "/kids/a")
wait_until(lambda: len(child_calls) >= 4)
results["children_watch"] = list(child_calls)

# one-shot exists watch on a node that does not exist yet
exist_events = []
zk.exists(ROOT + "/later", watch=lambda e: exist_events.append({"type": e.type, "path": e.path}))
zk.create(ROOT + "/later", b"")
wait_until(lambda: exist_events)
zk.delete(ROOT + "/later")
time.sleep(0.2)
results["exists_watch"] = list(exist_events)

# transactions
zk.create(ROOT + "/tx", b"t0")


def good_tx():
    t = zk.transaction()
    t.check(ROOT + "/tx", 0)
    t.create(ROOT + "/tx/a", b"a")
    t.set_data(ROOT + "/tx", b"t1")
    t.delete(ROOT + "/tx/a")
    return [r if isinstance(r, (str, bool)) else (stat_dict(r) if hasattr(r, "version") else type(r).__name__) for r in t.commit()]


def bad_tx():
    t = zk.transaction()
    t.create(ROOT + "/tx/b", b"b")
    t.check(ROOT + "/tx", 0)  # stale: the good transaction moved it to version 1
    t.set_data(ROOT + "/tx", b"t2")
    return [r if isinstance(r, (str, bool)) else type(r).__name__ for r in t.commit()]


record("transaction", good_tx)
record("transaction_failed", bad_tx)
record("after_failed_tx", lambda: {"b_exists": zk.exists(ROOT + "/tx/b") is not None, "data": zk.get(ROOT + "/tx")[0].decode()})

# Lock recipe between two sessions
zk2 = client()
lock1 = Lock(zk, ROOT + "/lock", "one")
lock2 = Lock(zk2, ROOT + "/lock", "two")
record("lock1_acquire", lambda: lock1.acquire(timeout=5))
record("lock2_nonblocking", lambda: lock2.acquire(blocking=False))
record("contenders", lambda: lock1.contenders())
got = []
waiter = threading.Thread(target=lambda: got.append(lock2.acquire(timeout=10)))
waiter.start()
time.sleep(0.3)
results["lock2_waiting_before_release"] = list(got)
lock1.release()
waiter.join(12)
results["lock2_after_release"] = list(got)
record("contenders_after", lambda: lock2.contenders())
lock2.release()

# digest auth and ACL denial
alice = client(auth_data=[("digest", "alice:secret")])
acl = make_digest_acl("alice", "secret", all=True)
record("secure_create", lambda: alice.create(ROOT + "/secure", b"s", acl=[acl]))
record("secure_get_acls", lambda: [{"perms": a.perms, "scheme": a.id.scheme, "id": a.id.id} for a in alice.get_acls(ROOT + "/secure")[0]])
record("secure_read_by_owner", lambda: alice.get(ROOT + "/secure")[0].decode())
record("secure_read_anonymous", lambda: zk.get(ROOT + "/secure"))
record("secure_write_anonymous", lambda: zk.set(ROOT + "/secure", b"x"))
record("secure_exists_anonymous", lambda: zk.exists(ROOT + "/secure") is not None)
record("secure_delete_anonymous", lambda: zk.delete(ROOT + "/secure"))

def bad_auth():
    """An unknown scheme makes the server answer AUTHFAILED and close that session's connection."""
    doomed = client()
    try:
        doomed.add_auth("nosuchscheme", "x")
        return "accepted"
    finally:
        doomed.stop()
        doomed.close()


record("auth_unknown_scheme", bad_auth)

# closing a session removes its ephemerals; another session sees it through a watch
eph_events = []
record("zk2_ephemeral", lambda: zk2.create(ROOT + "/zk2eph", b"", ephemeral=True))
zk.exists(ROOT + "/zk2eph", watch=lambda e: eph_events.append({"type": e.type, "path": e.path}))
zk2.stop()
zk2.close()
wait_until(lambda: eph_events)
results["ephemeral_deleted_event"] = list(eph_events)
record("ephemeral_gone", lambda: zk.exists(ROOT + "/zk2eph") is None)

alice.stop()
alice.close()
zk.delete(ROOT, recursive=True)
zk.stop()
zk.close()
print(json.dumps(results))
