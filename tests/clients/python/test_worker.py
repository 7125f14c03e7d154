"""The Python Worker against the real stack: complete, partial, failed, a
cancel within one heartbeat, SIGTERM mid-entity, idempotent entity posts."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest

from gentrack import Client, Conflict, Worker
from gtstack import BASE_URL, CLIENT_KEY, WORKER_KEY, sql, unique, wait_for


def entity_rows(rid):
    hexid = rid.replace("-", "")
    out = sql(f"SELECT idx, status, IFNULL(error, '') FROM generation_entities "
              f"WHERE request_id = UNHEX('{hexid}') ORDER BY idx")
    return [tuple(line.split("\t")) for line in out.splitlines()] if out else []


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.c = Client(BASE_URL, key=CLIENT_KEY)
        self.et = unique("pyw")

    def serve(self, fn, **kw):
        w = Worker(BASE_URL, WORKER_KEY, [self.et], **kw)
        th = threading.Thread(target=w.run, args=(fn,), daemon=True)
        th.start()
        self.addCleanup(lambda: (w.stop(), w.stop(), th.join(10)))
        return w, th

    def test_completes(self):
        """a request whose fn returns every entity ends completed, entities in index order"""
        r = self.c.create(self.et, 3, constraints={"level": 4})
        seen = []

        def fn(req, index):
            seen.append((req.request_id, req.constraints, req.attempt, index))
            return {"n": index, "level": req.constraints["level"]}
        w = Worker(BASE_URL, WORKER_KEY, [self.et], worker_id="py-test-1")
        self.assertEqual(w.run(fn, once=True), 1)
        done = self.c.get(r.request_id)
        self.assertEqual(done.status, "completed")
        self.assertEqual([e.data for e in done.entities], [{"n": i, "level": 4} for i in range(3)])
        self.assertEqual([s[3] for s in seen], [0, 1, 2])
        self.assertTrue(all(s[1] == {"level": 4} and s[2] == 1 for s in seen))
        self.assertEqual(sql(f"SELECT COUNT(*) FROM generation_events WHERE request_id = "
                             f"UNHEX('{r.request_id.replace('-', '')}') AND actor = 'worker:py-test-1'"), "2")

    def test_partial_records_the_exception_message(self):
        """an fn that raises for one index: partial, and the failure recorded with the exception's message"""
        r = self.c.create(self.et, 3)

        def fn(req, index):
            if index == 1:
                raise RuntimeError("upstream said no for index 1")
            if index == 2:
                return ["not", "an", "object"]
            return {"ok": True}
        Worker(BASE_URL, WORKER_KEY, [self.et]).run(fn, once=True)
        done = self.c.get(r.request_id)
        self.assertEqual(done.status, "partial")
        self.assertEqual((done.generated_count, done.failed_count), (1, 2))
        self.assertEqual(entity_rows(r.request_id), [
            ("0", "generated", ""), ("1", "failed", "upstream said no for index 1"),
            ("2", "failed", "not a JSON object (got list)")])

    def test_failed(self):
        """an fn that always raises: failed (generator_failed)"""
        r = self.c.create(self.et, 2)

        def fn(req, index):
            raise ValueError("x" * 3000)   # cut to the 1,024 bytes the server keeps
        Worker(BASE_URL, WORKER_KEY, [self.et]).run(fn, once=True)
        done = self.c.get(r.request_id)
        self.assertEqual(done.status, "failed")
        self.assertEqual(done.failure_reason, "generator_failed")
        self.assertEqual([len(row[2]) for row in entity_rows(r.request_id)], [1024, 1024])

    def test_cancel_stops_within_one_heartbeat(self):
        """a cancel stops the worker's work on the request within one heartbeat (a third of the lease)"""
        r = self.c.create(self.et, 3)
        started, stopped_at, calls = threading.Event(), [], []
        w = Worker(BASE_URL, WORKER_KEY, [self.et], lease_seconds=3)

        def fn(req, index):
            if req.request_id != r.request_id:
                return {"other": True}
            calls.append(index)
            started.set()
            end = time.monotonic() + 20
            while time.monotonic() < end and not w.should_stop():
                time.sleep(0.02)
            stopped_at.append(time.monotonic())
            return {"late": True}
        th = threading.Thread(target=w.run, args=(fn,), daemon=True)
        th.start()
        self.addCleanup(lambda: (w.stop(), w.stop(), th.join(10)))
        self.assertTrue(started.wait(15))
        t0 = time.monotonic()
        self.assertEqual(self.c.cancel(r.request_id).status, "cancelled")
        self.assertTrue(wait_for(lambda: stopped_at, timeout=5))
        self.assertLess(stopped_at[0] - t0, 1.0 + 0.7, "not stopped within one heartbeat (1 s)")
        time.sleep(0.5)
        self.assertEqual(calls, [0])
        g = self.c.get(r.request_id)
        self.assertEqual((g.status, g.generated_count), ("cancelled", 0))
        self.assertEqual(entity_rows(r.request_id), [])
        # The worker goes on claiming: a new request of the type is served.
        r2 = self.c.create(self.et, 1)
        self.assertEqual(self.c.wait(r2.request_id, timeout=20).status, "completed")

    def test_heartbeats_keep_a_slow_entity(self):
        """heartbeats on their own thread keep the lease of an entity slower than the lease"""
        r = self.c.create(self.et, 1)
        w = Worker(BASE_URL, WORKER_KEY, [self.et], lease_seconds=2)

        def fn(req, index):
            time.sleep(4.5)
            return {"slow": True}
        w.run(fn, once=True)
        g = self.c.get(r.request_id)    # a GET would reap an expired lease on the spot
        self.assertEqual((g.status, g.attempt), ("completed", 1))

    def test_entity_posts_are_idempotent(self):
        """an entity posted again (a retry) is not recorded twice; a stale attempt is refused (409)"""
        r = self.c.create(self.et, 2)
        w = Worker(BASE_URL, WORKER_KEY, [self.et])
        claimed = w._claim()
        self.assertEqual(claimed.request_id, r.request_id)
        self.assertEqual(claimed.pending_indexes, [0, 1])
        body = {"worker_id": w.worker_id, "attempt": claimed.attempt, "index": 0, "entity": {"a": 1}}
        first = w._post(f"/generation-requests/{r.request_id}/entities", body)
        again = w._post(f"/generation-requests/{r.request_id}/entities", body)
        self.assertEqual((first["recorded"], again["recorded"]), (True, False))
        self.assertEqual(again["generated_count"], 1)
        with self.assertRaises(Conflict):
            w._post(f"/generation-requests/{r.request_id}/entities", dict(body, attempt=claimed.attempt + 1, index=1))
        self.c.cancel(r.request_id)


SIGTERM_SCRIPT = textwrap.dedent("""
    import sys, time, logging
    from gentrack import Worker
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    base, key, et, delay, grace = sys.argv[1:6]
    def fn(req, index):
        print("started", index, flush=True)
        time.sleep(float(delay))
        print("finished", index, flush=True)
        return {"index": index}
    Worker(base, key, [et], grace=float(grace)).run(fn)
    print("exited", flush=True)
""")


class SigtermTest(unittest.TestCase):
    def run_until_sigterm(self, et, delay, grace):
        p = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, BASE_URL, WORKER_KEY, et, str(delay),
                              str(grace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        while True:
            line = p.stdout.readline()
            if not line:
                self.fail("the worker ended early: " + p.stderr.read())
            lines.append(line.strip())
            if line.strip() == "started 1":
                break
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        return p.returncode, lines + out.split("\n"), time.monotonic() - t0, err

    def test_sigterm_finishes_the_running_entity(self):
        """SIGTERM mid-entity: the entity finishes within the grace and is recorded, no further index, the request abandoned, exit 0"""
        c = Client(BASE_URL, key=CLIENT_KEY)
        et = unique("pyterm")
        r = c.create(et, 3)
        rc, lines, took, err = self.run_until_sigterm(et, 1.5, 10)
        self.assertEqual(rc, 0, err)
        self.assertIn("finished 1", lines)
        self.assertNotIn("started 2", lines)
        self.assertIn("exited", lines)
        self.assertIn("abandoned", err)
        self.assertEqual([row[:2] for row in entity_rows(r.request_id)], [("0", "generated"), ("1", "generated")])
        g = c.get(r.request_id)
        self.assertEqual((g.status, g.generated_count), ("processing", 2))
        c.cancel(r.request_id)

    def test_sigterm_past_the_grace_abandons_the_entity(self):
        """SIGTERM with an entity slower than the grace: it is abandoned unrecorded after the grace"""
        c = Client(BASE_URL, key=CLIENT_KEY)
        et = unique("pyterm")
        r = c.create(et, 3)
        rc, lines, took, err = self.run_until_sigterm(et, 8, 1)
        self.assertEqual(rc, 0, err)
        self.assertLess(took, 5)
        self.assertNotIn("finished 1", lines)
        self.assertIn("did not finish within the grace", err)
        self.assertEqual([row[0] for row in entity_rows(r.request_id)], ["0"])
        c.cancel(r.request_id)


if __name__ == "__main__":
    unittest.main()
