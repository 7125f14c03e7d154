"""Client.wait against the real stack: the path GT_EXPECT_PATH names
("stream" where the stack has Nchan, "poll" where live updates are off)."""

import os
import threading
import time
import unittest
import uuid
from unittest import mock

import gentrack.client

from gentrack import Client, GentrackError, NotFound, Worker
from gtstack import BASE_URL, CLIENT_KEY, WORKER_KEY, unique

EXPECT = os.environ.get("GT_EXPECT_PATH", "stream")


class WaitTest(unittest.TestCase):
    def test_wait_final_state(self):
        """wait ends with the final state, entities included, through the expected path"""
        et = unique("pywait")
        statuses, naps = [], []

        def nap(s):
            naps.append(s)
            time.sleep(s)
        c = Client(BASE_URL, key=CLIENT_KEY, sleep=nap)
        seen = []
        call = c._t.call

        def spy(method, path, **kw):
            resp = call(method, path, **kw)
            seen.append((path, kw.get("query"), resp.status))
            return resp
        c._t.call = spy
        r = c.create(et, 2)
        w = Worker(BASE_URL, WORKER_KEY, [et])

        def fn(req, index):
            time.sleep(0.5)
            return {"i": index}

        def later():
            time.sleep(3)          # pending a while: polls that change nothing (304)
            w.run(fn, once=True)
        th = threading.Thread(target=later, daemon=True)
        th.start()
        done = c.wait(r.request_id, timeout=60, on_update=lambda s: statuses.append(s.status))
        th.join(10)
        self.assertEqual(done.status, "completed")
        self.assertEqual([e.data for e in done.entities], [{"i": 0}, {"i": 1}])
        self.assertEqual(c.last_wait_path, EXPECT)
        self.assertEqual(statuses[0], "pending")
        self.assertEqual(statuses[-1], "completed")
        if EXPECT == "poll":
            self.assertIn(304, [s for _, _, s in seen], "no 304 while nothing changed")
            plain = [n for n in naps if n >= 1]
            self.assertTrue(plain and all(1 <= n <= 30 for n in plain), naps)
        else:
            self.assertIn("processing", statuses)

    @unittest.skipUnless(EXPECT == "stream", "the long poll needs the Nchan module")
    def test_wait_long_poll(self):
        """without a stream (here: refused by the client), wait long-polls: nginx holds ?wait until the change"""
        et = unique("pylong")
        c = Client(BASE_URL, key=CLIENT_KEY)
        held = []
        call = c._t.call

        def spy(method, path, **kw):
            t0 = time.monotonic()
            resp = call(method, path, **kw)
            if (kw.get("query") or {}).get("wait"):
                held.append((time.monotonic() - t0, resp.status))
            return resp
        c._t.call = spy
        r = c.create(et, 1)
        w = Worker(BASE_URL, WORKER_KEY, [et])
        th = threading.Timer(2.0, lambda: w.run(lambda req, i: {"i": i}, once=True))
        th.start()
        with mock.patch.object(gentrack.client._Wait, "stream", lambda self: "none"):
            done = c.wait(r.request_id, timeout=60)
        th.join()
        self.assertEqual(done.status, "completed")
        self.assertEqual([e.data for e in done.entities], [{"i": 0}])
        self.assertEqual(c.last_wait_path, "long-poll")
        self.assertTrue(any(took >= 1.0 and status == 200 for took, status in held),
                        f"no ?wait held until a change: {held}")

    def test_wait_cancelled(self):
        """wait ends with a cancel as the final state"""
        c = Client(BASE_URL, key=CLIENT_KEY)
        r = c.create(unique("pywait"))
        threading.Timer(1.0, lambda: c.cancel(r.request_id)).start()
        self.assertEqual(c.wait(r.request_id, timeout=30).status, "cancelled")
        self.assertEqual(c.last_wait_path, EXPECT)

    def test_wait_with_status_token(self):
        """wait with a status token"""
        c = Client(BASE_URL, key=CLIENT_KEY)
        r = c.create(unique("pywait"))
        t = Client(BASE_URL, token=r.status_token)
        threading.Timer(1.0, lambda: t.cancel(r.request_id)).start()
        self.assertEqual(t.wait(r.request_id, timeout=30).status, "cancelled")

    def test_wait_gives_up(self):
        """wait gives up after its timeout (GentrackError, status 0)"""
        c = Client(BASE_URL, key=CLIENT_KEY)
        r = c.create(unique("pywait"))
        t0 = time.monotonic()
        with self.assertRaises(GentrackError) as cm:
            c.wait(r.request_id, timeout=2)
        self.assertEqual(cm.exception.status, 0)
        self.assertLess(time.monotonic() - t0, 8)
        c.cancel(r.request_id)

    def test_wait_not_found(self):
        """wait of an unknown id is NotFound at once"""
        with self.assertRaises(NotFound):
            Client(BASE_URL, key=CLIENT_KEY).wait(str(uuid.uuid4()), timeout=10)


if __name__ == "__main__":
    unittest.main()
