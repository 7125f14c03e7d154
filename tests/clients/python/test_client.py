"""Every Client method and every error class, against the real stack."""

import asyncio
import os
import signal
import subprocess
import threading
import time
import unittest
import uuid

import gentrack
from gentrack import (AsyncClient, Client, Conflict, GenerationRequest, GentrackError, Invalid,
                      NotFound, Unauthorized, Unavailable)
from gtstack import BASE_URL, CLIENT_KEY, CLIENT_KEY_2, SOCKET, STACK_DIR, WORKER_KEY, sql, unique, wait_for


def rows_with_subject(subject):
    return int(sql(f"SELECT COUNT(*) FROM generation_requests WHERE subject_key = '{subject}'"))


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.c = Client(BASE_URL, key=CLIENT_KEY)

    def test_create_every_field(self):
        """create: entity_type, count, subject_key, constraints, metadata; 202 resource + status token"""
        subject = f"py-{uuid.uuid4()}"
        r = self.c.create("problem", 3, subject_key=subject, constraints={"level": 2, "tags": ["a"]},
                          metadata={"course": "algebra"})
        self.assertIsInstance(r, GenerationRequest)
        self.assertEqual(r.status, "pending")
        self.assertEqual(r.requested_count, 3)
        self.assertEqual(r.subject_key, subject)
        self.assertEqual(r.constraints, {"level": 2, "tags": ["a"]})
        self.assertEqual(r.metadata, {"course": "algebra"})
        self.assertTrue(r.status_token and r.status_token.startswith("gtt_"))
        self.assertEqual(r.extra, {})
        self.assertEqual(rows_with_subject(subject), 1)

    def test_create_idempotency_key(self):
        """create: the same Idempotency-Key and body answers the first request again; another body is Invalid (422)"""
        key = f"order-{uuid.uuid4()}"
        subject = f"py-{uuid.uuid4()}"
        a = self.c.create("problem", 2, subject_key=subject, idempotency_key=key)
        b = self.c.create("problem", 2, subject_key=subject, idempotency_key=key)
        self.assertEqual(a.request_id, b.request_id)
        self.assertEqual(rows_with_subject(subject), 1)
        with self.assertRaises(Invalid) as cm:
            self.c.create("problem", 3, subject_key=subject, idempotency_key=key)
        self.assertEqual(cm.exception.status, 422)
        self.assertEqual(cm.exception.type, "urn:gentrack:problem:idempotency-key-reused")

    def test_get(self):
        """get: the resource by id, entities included"""
        r = self.c.create("problem")
        g = self.c.get(r.request_id)
        self.assertEqual(g.request_id, r.request_id)
        self.assertEqual(g.entities, [])
        self.assertIsNone(g.status_token)
        self.assertFalse(g.terminal)

    def test_list_follows_cursor_and_filters(self):
        """list: an iterator over every page (next_cursor), with status, entity_type, subject_key and limit"""
        et = unique("pylist")
        ids = [self.c.create(et, subject_key=f"s{i}").request_id for i in range(5)]
        got = [r.request_id for r in self.c.list(entity_type=et, limit=2)]
        self.assertEqual(got, list(reversed(ids)))          # newest first, 3 pages
        self.c.cancel(ids[0])
        self.assertEqual([r.request_id for r in self.c.list(entity_type=et, status="cancelled")], [ids[0]])
        self.assertEqual([r.request_id for r in self.c.list(entity_type=et, subject_key="s3")], [ids[3]])
        self.assertTrue(all(r.entities is None for r in self.c.list(entity_type=et)))
        with self.assertRaises(Invalid):
            list(self.c.list(status="nonsense"))

    def test_cancel(self):
        """cancel: pending -> cancelled with the reason; a second cancel is Conflict (409)"""
        r = self.c.create("problem")
        c = self.c.cancel(r.request_id, reason="no longer needed")
        self.assertEqual(c.status, "cancelled")
        self.assertIsNotNone(c.cancelled_at)
        with self.assertRaises(Conflict) as cm:
            self.c.cancel(r.request_id)
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual(cm.exception.type, "urn:gentrack:problem:already-finished")
        self.assertIsNone(cm.exception.existing_request_id)

    def test_status_token(self):
        """a Client with a status token reads and cancels that request, and sees no metadata"""
        r = self.c.create("problem", metadata={"secret": 1})
        t = Client(BASE_URL, token=r.status_token)
        g = t.get(r.request_id)
        self.assertEqual(g.request_id, r.request_id)
        self.assertIsNone(g.metadata)
        self.assertEqual(t.cancel(r.request_id).status, "cancelled")

    def test_conflict_existing_request_id(self):
        """Conflict: an active request of the same subject, with existing_request_id"""
        subject = f"py-{uuid.uuid4()}"
        first = self.c.create("problem", subject_key=subject)
        with self.assertRaises(Conflict) as cm:
            self.c.create("problem", subject_key=subject)
        self.assertEqual(cm.exception.existing_request_id, first.request_id)
        self.assertEqual(cm.exception.type, "urn:gentrack:problem:active-request-exists")
        self.assertIn("already pending or processing", cm.exception.detail)
        self.assertEqual(rows_with_subject(subject), 1)

    def test_not_found(self):
        """NotFound: an unknown id, and another owner's"""
        with self.assertRaises(NotFound) as cm:
            self.c.get(str(uuid.uuid4()))
        self.assertEqual(cm.exception.status, 404)
        mine = self.c.create("problem")
        with self.assertRaises(NotFound):
            Client(BASE_URL, key=CLIENT_KEY_2).get(mine.request_id)

    def test_unauthorized(self):
        """Unauthorized: a bad key (401) and a worker key on the client API (403)"""
        with self.assertRaises(Unauthorized) as cm:
            Client(BASE_URL, key="gtk_" + "x" * 43).create("problem")
        self.assertEqual(cm.exception.status, 401)
        with self.assertRaises(Unauthorized) as cm:
            list(Client(BASE_URL, key=WORKER_KEY).list())
        self.assertEqual(cm.exception.status, 403)

    def test_invalid(self):
        """Invalid: bad input is a 400 with the detail, and nothing is written"""
        before = sql("SELECT COUNT(*) FROM generation_requests")
        with self.assertRaises(Invalid) as cm:
            self.c.create("problem", 0)
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("count", cm.exception.detail)
        self.assertEqual(cm.exception.errors, [])
        with self.assertRaises(Invalid) as cm:
            self.c.create("Not A Type")
        self.assertIn("entity_type", cm.exception.detail)
        with self.assertRaises(Invalid):
            self.c.get("not-a-uuid")
        self.assertEqual(sql("SELECT COUNT(*) FROM generation_requests"), before)
        self.assertIsInstance(cm.exception, GentrackError)

    def test_unavailable_no_answer(self):
        """Unavailable: no answer at all (status 0) after the bounded retries of create"""
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        naps = []
        c = Client(f"http://127.0.0.1:{port}", key=CLIENT_KEY, max_retries=2, sleep=naps.append)
        with self.assertRaises(Unavailable) as cm:
            c.create("problem")
        self.assertEqual(cm.exception.status, 0)
        self.assertEqual(len(naps), 2)

    def test_unavailable_503(self):
        """Unavailable: the store down is a 503 with Retry-After, and create retries it with the same key"""
        subprocess.run(["bash", os.environ["GT_STACK"], "stop", STACK_DIR, "mariadb"], check=True,
                       capture_output=True)
        try:
            with self.assertRaises(Unavailable) as cm:
                Client(BASE_URL, key=CLIENT_KEY, max_retries=0).get(str(uuid.uuid4()))
            self.assertEqual(cm.exception.status, 503)
            self.assertIsNotNone(cm.exception.retry_after)
            # A create that meets the outage, retried until the store is back.
            subject = f"py-{uuid.uuid4()}"
            naps = []

            def nap(s):
                naps.append(s)
                if len(naps) == 1:
                    subprocess.run(["bash", os.environ["GT_STACK"], "up", STACK_DIR], check=True,
                                   capture_output=True)
                time.sleep(min(s, 1))
            r = Client(BASE_URL, key=CLIENT_KEY, max_retries=8, sleep=nap).create("problem", subject_key=subject)
        finally:
            subprocess.run(["bash", os.environ["GT_STACK"], "up", STACK_DIR], capture_output=True)
        self.assertGreaterEqual(len(naps), 1)
        self.assertEqual(r.status, "pending")
        self.assertEqual(rows_with_subject(subject), 1)

    def test_create_retried_after_killed_child(self):
        """create retried after its FastCGI child was killed mid-request stores exactly one request"""
        fcgi_pid = open(os.path.join(STACK_DIR, "fcgi.pid")).read().strip()
        # A global read lock holds the child's first write: the request is
        # then inside a child, which we kill.
        lock = subprocess.Popen(["mariadb", "--no-defaults", f"--socket={SOCKET}", "-uroot", "-N", "-B",
                                 "-e", "FLUSH TABLES WITH READ LOCK; SELECT SLEEP(120)"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_for(lambda: sql(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(120)%'") == "1"))
            subject = f"py-killed-{uuid.uuid4()}"
            naps, out = [], {}

            def nap(s):
                naps.append(s)
                time.sleep(min(s, 0.5))
            c = Client(BASE_URL, key=CLIENT_KEY, max_retries=5, sleep=nap, timeout=60)

            def go():
                try:
                    out["r"] = c.create("problem", 2, subject_key=subject)
                except Exception as e:  # noqa: BLE001
                    out["e"] = e
            th = threading.Thread(target=go)
            th.start()
            self.assertTrue(wait_for(lambda: sql(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for %lock' AND INFO LIKE 'INSERT%'")
                not in ("", "0")), "the create never reached the store")
            children = subprocess.run(["pgrep", "-P", fcgi_pid], capture_output=True, text=True).stdout.split()
            self.assertTrue(children)
            for pid in children:
                os.kill(int(pid), signal.SIGKILL)
            # The client saw the dead child (502) and sent the create again.
            self.assertTrue(wait_for(lambda: naps, timeout=15), "no retry after the kill")
        finally:
            ids = sql("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(120)%'")
            for i in ids.split():
                sql(f"KILL {i}")
            lock.wait(10)
        th.join(60)
        self.assertNotIn("e", out, f"create failed: {out.get('e')}")
        self.assertEqual(out["r"].status, "pending")
        self.assertEqual(rows_with_subject(subject), 1)
        self.assertEqual(sql(f"SELECT COUNT(*) FROM generation_requests WHERE subject_key = '{subject}' "
                             f"AND LOWER(HEX(id)) = '{out['r'].request_id.replace('-', '')}'"), "1")


class AsyncClientTest(unittest.TestCase):
    def test_async_face(self):
        """AsyncClient: create, get, list, cancel and wait as coroutines"""
        async def main():
            ac = AsyncClient(BASE_URL, key=CLIENT_KEY)
            et = unique("pyasync")
            r = await ac.create(et, 2, metadata={"a": 1})
            g = await ac.get(r.request_id)
            items = await ac.list(entity_type=et)
            waiter = asyncio.create_task(ac.wait(r.request_id, timeout=30))
            await asyncio.sleep(0.3)
            c = await ac.cancel(r.request_id, reason="async")
            done = await waiter
            return r, g, items, c, done
        r, g, items, c, done = asyncio.run(main())
        self.assertEqual(g.request_id, r.request_id)
        self.assertEqual([i.request_id for i in items], [r.request_id])
        self.assertEqual(c.status, "cancelled")
        self.assertEqual(done.status, "cancelled")
        self.assertEqual(done.entities, [])


class ModelTest(unittest.TestCase):
    def test_unknown_fields_kept(self):
        """unknown fields of the resource land in extra, entities become Entity objects"""
        r = GenerationRequest.from_json({"request_id": "x", "entity_type": "p", "status": "completed",
                                         "new_field": [1], "entities": [{"a": 1}, {"b": 2}]})
        self.assertEqual(r.extra, {"new_field": [1]})
        self.assertEqual([e.position for e in r], [0, 1])
        self.assertEqual(r.entities[1]["b"], 2)
        self.assertTrue(r.terminal)
        self.assertEqual(gentrack.TERMINAL, {"completed", "partial", "failed", "cancelled"})


if __name__ == "__main__":
    unittest.main()
