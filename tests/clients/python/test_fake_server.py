"""What the real stack cannot be made to answer on demand, from a small
in-process HTTP server: a stream dropped and resumed with Last-Event-ID, a
held long poll, a ?wait answered at once (polling then), 429, per-field
errors, an HTML 502."""

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gentrack import Client, Invalid, RateLimited, Unavailable
from gentrack.errors import error_from_response

RID = "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"


def resource(status, version, entities=None):
    r = {"request_id": RID, "entity_type": "problem", "status": status, "requested_count": 1,
         "generated_count": 1 if status == "completed" else 0, "failed_count": 0}
    if entities is not None:
        r["entities"] = entities
    if version is not None:
        r["version"] = version
    return r


class Fake:
    """Answers by a script: handler(fake, request) -> (status, headers, body)."""

    def __init__(self, script):
        self.script = script
        self.seen = []
        self.state = {}
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one(self):
                fake.seen.append((self.command, self.path, self.headers))  # case-insensitive .get
                status, headers, body = fake.script(fake, self)
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def do_GET(self):
                self.handle_one()

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                self.handle_one()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def sse(*events):
    return "".join(f"id: {i}\ndata: {json.dumps(d)}\n\n" for i, d in events)


class FakeServerTest(unittest.TestCase):
    def fake(self, script):
        f = Fake(script)
        self.addCleanup(f.close)
        return f

    def test_stream_resumes_with_last_event_id(self):
        """stream: a dropped stream is resumed with Last-Event-ID, the final event ends the wait, one GET for the entities"""
        def script(f, h):
            if h.path.endswith("/events"):
                n = f.state["events"] = f.state.get("events", 0) + 1
                ev = {"Content-Type": "text/event-stream"}
                if n == 1:   # a comment, a multi-line data (invalid JSON, skipped), one state; then dropped
                    return 200, ev, ": hi\n\ndata: {\ndata: }x\n\n" + sse(("77:1", resource("processing", 3)))
                return 200, ev, sse(("77:2", resource("completed", 4)))
            return 200, {"ETag": '"v4"'}, resource("completed", None, [{"a": 1}])
        f = self.fake(script)
        c = Client(f.url, key="k", sleep=lambda s: None)
        ups = []
        done = c.wait(RID, timeout=10, on_update=lambda s: ups.append((s.status, s.version)))
        self.assertEqual(c.last_wait_path, "stream")
        self.assertEqual(done.entities[0]["a"], 1)
        self.assertEqual(ups, [("processing", 3), ("completed", 4)])
        events = [hdr for m, p, hdr in f.seen if p.endswith("/events")]
        self.assertEqual(len(events), 2)
        self.assertIsNone(events[0].get("Last-Event-ID"))
        self.assertEqual(events[1].get("Last-Event-ID"), "77:1")
        self.assertEqual(events[0].get("Accept"), "text/event-stream")
        self.assertEqual(events[0].get("Authorization"), "Bearer k")

    def test_long_poll_held(self):
        """long poll: no live module (501), then ?wait=N with If-None-Match held by the server until the change"""
        def script(f, h):
            if h.path.endswith("/events"):
                return 501, {"Content-Type": "application/problem+json"}, {"status": 501, "title": "Not Implemented"}
            if "wait=" in h.path:
                time.sleep(1.0)
                return 200, {"ETag": '"v5"'}, resource("completed", None, [{"b": 2}])
            return 200, {"ETag": '"v2"', "Retry-After": "9"}, resource("processing", None, [])
        f = self.fake(script)
        naps = []
        c = Client(f.url, key="k", sleep=naps.append)
        done = c.wait(RID, timeout=20)
        self.assertEqual(done.status, "completed")
        self.assertEqual(c.last_wait_path, "long-poll")
        self.assertEqual(naps, [])   # nothing slept: the server held the wait
        waited = [(p, hdr) for m, p, hdr in f.seen if "wait=" in p]
        self.assertEqual(len(waited), 1)
        self.assertEqual(waited[0][1].get("If-None-Match"), '"v2"')

    def test_polling_when_wait_answers_at_once(self):
        """polling: a ?wait answered at once (no live module) falls back to polling with ETag (304) and Retry-After"""
        def script(f, h):
            if h.path.endswith("/events"):
                return 501, {}, {"status": 501}
            n = f.state["gets"] = f.state.get("gets", 0) + 1
            if n >= 6:
                return 200, {"ETag": '"v9"'}, resource("completed", None, [])
            if h.headers.get("If-None-Match") == '"v1"':
                return 304, {"ETag": '"v1"', "Retry-After": "3"}, b""
            return 200, {"ETag": '"v1"', "Retry-After": "3"}, resource("pending", None, [])
        f = self.fake(script)
        naps = []
        c = Client(f.url, key="k", sleep=naps.append)
        self.assertEqual(c.wait(RID, timeout=20).status, "completed")
        self.assertEqual(c.last_wait_path, "poll")
        gets = [p for m, p, hdr in f.seen if not p.endswith("/events")]
        self.assertEqual(["wait=" in p for p in gets], [False, True, True, False, False, False])
        self.assertEqual(naps, [3, 3, 3])

    def test_rate_limited(self):
        """RateLimited: a 429 carries retry_after and is not retried by create"""
        def script(f, h):
            return 429, {"Retry-After": "7", "Content-Type": "application/problem+json"}, {
                "type": "urn:gentrack:problem:too-many", "title": "Too Many Requests", "status": 429,
                "detail": "over the limit of pending requests"}
        f = self.fake(script)
        with self.assertRaises(RateLimited) as cm:
            Client(f.url, key="k", sleep=lambda s: None).create("problem")
        self.assertEqual(cm.exception.retry_after, 7)
        self.assertEqual(cm.exception.detail, "over the limit of pending requests")
        self.assertEqual(len(f.seen), 1)
        self.assertTrue(f.seen[0][2].get("Idempotency-Key"))

    def test_create_retry_keeps_the_key(self):
        """create: a 502 then a 202; the retry carries the same Idempotency-Key and body"""
        def script(f, h):
            n = f.state["n"] = f.state.get("n", 0) + 1
            if n == 1:
                return 502, {"Content-Type": "text/html"}, "<html>502 Bad Gateway</html>"
            return 202, {}, resource("pending", None)
        f = self.fake(script)
        naps = []
        r = Client(f.url, key="k", sleep=naps.append).create("problem", 2, idempotency_key="order-1")
        self.assertEqual(r.status, "pending")
        self.assertEqual([hdr.get("Idempotency-Key") for _, _, hdr in f.seen], ["order-1", "order-1"])
        self.assertEqual(len(naps), 1)

    def test_invalid_per_field_errors(self):
        """Invalid: the detail and the per-field errors of the problem"""
        def script(f, h):
            return 400, {"Content-Type": "application/problem+json"}, {
                "type": "urn:gentrack:problem:invalid-field", "title": "Bad Request", "status": 400,
                "detail": "'count' must be 1..10", "errors": [{"field": "count", "detail": "too big"}]}
        f = self.fake(script)
        with self.assertRaises(Invalid) as cm:
            Client(f.url, key="k").create("problem", 99)
        self.assertEqual(cm.exception.errors, [{"field": "count", "detail": "too big"}])
        self.assertEqual(cm.exception.title, "Bad Request")

    def test_worker_refuses_a_bad_claim(self):
        """Worker: a claim answer that does not check out (an index twice) is refused: fn never runs, nothing is sent for it"""
        def script(f, h):
            claim = dict(resource("processing", None), attempt=1, requested_count=2, lease_seconds=60,
                         pending_indexes=[0, 0])
            return 200, {}, claim
        f = self.fake(script)
        from gentrack import Worker
        calls = []
        Worker(f.url, "k", ["problem"]).run(lambda req, i: calls.append(i) or {}, once=True)
        self.assertEqual(calls, [])
        self.assertEqual([p for _, p, _ in f.seen], ["/api/v1/worker/claim"])

    def test_worker_sends_a_lost_entity_post_again(self):
        """Worker: an entity post answered 503 is sent again, same index and attempt; fn runs once; then complete"""
        def script(f, h):
            if h.path.endswith("/claim"):
                return 200, {}, dict(resource("processing", None), attempt=2, requested_count=1,
                                     lease_seconds=60, pending_indexes=[0])
            if h.path.endswith("/entities"):
                n = f.state["posts"] = f.state.get("posts", 0) + 1
                if n == 1:
                    return 503, {"Retry-After": "0"}, {"status": 503, "title": "Service Unavailable"}
                return 200, {}, {"request_id": RID, "index": 0, "recorded": True}
            return 200, {}, resource("completed", None)
        f = self.fake(script)
        from gentrack import Worker
        calls = []
        Worker(f.url, "k", ["problem"], worker_id="w1").run(lambda req, i: calls.append(i) or {"x": i}, once=True)
        self.assertEqual(calls, [0])
        paths = [p.rsplit("/", 1)[1] for _, p, _ in f.seen]
        self.assertEqual(paths, ["claim", "entities", "entities", "complete"])

    def test_error_from_non_json(self):
        """an HTML 502 (no problem+json) is Unavailable with its status"""
        e = error_from_response(502, b"<html>bad gateway</html>")
        self.assertIsInstance(e, Unavailable)
        self.assertEqual((e.status, e.problem), (502, None))


if __name__ == "__main__":
    unittest.main()
