"""A worker in Python: the protocol of README "The worker protocol", as the
reference ``gentrack-worker`` (src/worker/) speaks it, with a Python
function in place of the generator command."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from typing import Callable

from ._http import Transport, backoff, check_json
from .errors import Conflict, GentrackError, Unauthorized
from .models import ClaimedRequest

log = logging.getLogger("gentrack.worker")

WORKER_PATH = "/api/v1/worker"
MAX_ERROR_BYTES = 1024


class _Lost(Exception):
    """The request is no longer ours (409): stop working on it."""


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    raw = text.encode("utf-8")
    if len(raw) > MAX_ERROR_BYTES:
        text = raw[:MAX_ERROR_BYTES].decode("utf-8", "ignore")
    return text


class Worker:
    """Serves generation requests of ``entity_types`` with a Python function.

    ``run(fn)`` loops: claim a request (``lease_seconds``, default the
    server's), then for each pending index call ``fn(request, index)``
    (``request`` a :class:`ClaimedRequest`), which returns the entity (a
    dict) or raises; the dict is recorded as entity ``index``, an exception
    as that index's failure with the exception's message (at most 1,024
    bytes). Then complete: the request ends completed, partial or failed.

    - **Heartbeats** run on their own thread, every third of the lease, for
      as long as the request is ours (one slow ``fn`` never loses it).
    - **Fencing**: every call carries the claim's ``attempt``. A ``409`` on a
      heartbeat, an entity or complete means the request is no longer ours
      (cancelled, reaped, claimed again): the worker stops working on it at
      once — within one heartbeat of a cancel — records nothing more, and
      claims again. ``fn`` runs on a thread of its own: the worker cannot
      kill it, so a long ``fn`` should look at :meth:`should_stop` now and
      then and return early; whatever it returns after that is dropped.
    - **Idempotent posts**: an entity post whose answer was lost (timeout,
      5xx, dropped connection) is sent again, same index, with capped
      exponential backoff and full jitter, while the lease can be alive;
      the server records an index once.
    - **SIGTERM / SIGINT** (handlers installed by ``run`` when it is called
      from the main thread, restored when it returns): it claims nothing
      more, lets the running ``fn`` finish within ``grace`` seconds (default
      30) and records its entity, then returns without starting another
      index. A request with indexes left is abandoned: it is not
      completed, its lease expires and the reaper hands it out again,
      keeping what was recorded (if the stop came during its last index,
      it is completed). An ``fn`` that outlives ``grace``, or a second
      signal a second or more after the first, abandons the running
      entity at once, unrecorded. :meth:`stop` does the same from code.
    - ``401`` / ``403``: the key is wrong or revoked: ``run`` raises
      :class:`Unauthorized`. Other errors are logged and retried with backoff.
    """

    def __init__(self, base_url: str, key: str, entity_types: list[str] | tuple[str, ...] | str, *,
                 worker_id: str | None = None, lease_seconds: int | None = None,
                 poll: float = 2.0, grace: float = 30.0, timeout: float = 30.0):
        if isinstance(entity_types, str):
            entity_types = [entity_types]
        if not 1 <= len(entity_types) <= 8:
            raise ValueError("entity_types: 1 to 8 types")
        self._t = Transport(base_url, key, timeout)
        self.entity_types = list(entity_types)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_seconds = lease_seconds
        self.poll = poll
        self.grace = grace
        self._stop = threading.Event()      # no more claims
        self._hurry = threading.Event()     # abandon the running entity now
        self._lost = threading.Event()      # the current request is not ours any more
        self._stop_at = 0.0
        self._fatal: GentrackError | None = None

    # ---- control ----
    def stop(self) -> None:
        """As SIGTERM: no more claims, the running entity may finish within
        ``grace``; called again a second or more later, abandons it now."""
        now = time.monotonic()
        if not self._stop.is_set():
            self._stop_at = now
            self._stop.set()
            log.info("stopping: no more claims; the running entity may finish within %.0f s", self.grace)
        elif now - self._stop_at >= 1.0:
            self._hurry.set()

    def should_stop(self) -> bool:
        """True when ``fn`` should give up its entity: the request was lost
        (cancelled, reaped) or the worker must stop at once."""
        return self._lost.is_set() or self._hurry.is_set()

    def _on_signal(self, signum, frame) -> None:
        self.stop()

    # ---- the loop ----
    def run(self, fn: Callable[[ClaimedRequest, int], dict], *, once: bool = False) -> int:
        """Serves requests until stopped (a signal, :meth:`stop`); with
        ``once``, one claim cycle. Returns the number of requests worked on."""
        installed = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                installed[sig] = signal.signal(sig, self._on_signal)
        handled = 0
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    claimed = self._claim()
                    failures = 0
                except Unauthorized:
                    raise
                except GentrackError as e:
                    wait = max(backoff(failures), min(e.retry_after or 0, 30))
                    failures += 1
                    log.warning("claim failed: %s; again in %.1f s", e, wait)
                    if once:
                        return handled
                    self._stop.wait(wait)
                    continue
                if claimed is None:
                    if once:
                        return handled
                    self._stop.wait(self.poll * random.uniform(0.5, 1.5))
                    continue
                handled += 1
                self._work_on(claimed, fn)
                if self._fatal:
                    raise self._fatal
                if once:
                    break
        finally:
            for sig, old in installed.items():
                signal.signal(sig, old)
        log.info("worker %s stopped", self.worker_id)
        return handled

    def _post(self, path: str, body: dict) -> dict | None:
        resp = self._t.call("POST", WORKER_PATH + path, body=body)
        return check_json(resp) if resp.status == 200 else None

    def _claim(self) -> ClaimedRequest | None:
        body = {"worker_id": self.worker_id, "entity_types": self.entity_types}
        if self.lease_seconds:
            body["lease_seconds"] = self.lease_seconds
        resp = self._t.call("POST", WORKER_PATH + "/claim", body=body)
        if resp.status == 204:
            return None
        return ClaimedRequest.from_json(check_json(resp))

    @staticmethod
    def _claim_problem(req: ClaimedRequest) -> str | None:
        """What is wrong with a claim answer, as src/worker/claim.h checks
        it before the reference worker acts on it; None when it checks out."""
        try:
            uuid.UUID(req.request_id)
        except (ValueError, TypeError, AttributeError):
            return "request_id: not a UUID"
        if type(req.attempt) is not int or not 1 <= req.attempt <= 1_000_000:
            return "attempt: not a whole number from 1 to 1000000"
        if type(req.requested_count) is not int or not 1 <= req.requested_count <= 100_000:
            return "requested_count: not a whole number from 1 to 100000"
        if req.lease_seconds is not None and (type(req.lease_seconds) is not int
                                              or not 1 <= req.lease_seconds <= 86_400):
            return "lease_seconds: not a whole number from 1 to 86400"
        idx = req.pending_indexes
        if not isinstance(idx, list):
            return "pending_indexes: not a list"
        for i in idx:
            if type(i) is not int or not 0 <= i < req.requested_count:
                return f"pending_indexes: index {i!r} is outside [0, requested_count)"
        if len(set(idx)) != len(idx):
            return "pending_indexes: an index is listed twice"
        return None

    def _rpath(self, rid: str, tail: str) -> str:
        return f"/generation-requests/{rid}/{tail}"

    # ---- one request ----
    def _work_on(self, req: ClaimedRequest, fn) -> None:
        self._lost.clear()
        why = self._claim_problem(req)
        if why:
            # Nothing is sent for it: its lease expires and the reaper retries it.
            log.error("refusing the claim of %s: %s", req.request_id, why)
            return
        lease = float(req.lease_seconds or self.lease_seconds or 60)
        pending = req.pending_indexes if req.pending_indexes else []
        log.info("claimed %s (%s, attempt %d, %d of %d pending, lease %.0f s)", req.request_id,
                 req.entity_type, req.attempt, len(pending), req.requested_count, lease)
        hb = _Heartbeat(self, req, lease)
        hb.start()
        try:
            done = 0
            for index in pending:
                if self._stop.is_set() or self._lost.is_set():
                    break
                if not self._one_entity(req, index, fn, hb):
                    return
                done += 1
            if self._lost.is_set():
                log.warning("lease lost %s: dropping it", req.request_id)
                return
            if done < len(pending):
                log.info("stopping: abandoned %s with %d entities left (its lease expires and it is "
                         "retried)", req.request_id, len(pending) - done)
                return
            self._complete(req, hb)
        finally:
            hb.stop()

    def _one_entity(self, req: ClaimedRequest, index: int, fn, hb: "_Heartbeat") -> bool:
        """Runs fn for one index and records the outcome; False to leave the request."""
        box: dict = {}

        def call():
            try:
                box["entity"] = fn(req, index)
            except BaseException as e:  # noqa: BLE001 - recorded as the entity's failure
                box["error"] = e

        th = threading.Thread(target=call, name=f"gentrack-entity-{index}", daemon=True)
        started = time.monotonic()
        th.start()
        while th.is_alive():
            th.join(0.05)
            if self._lost.is_set():
                log.warning("lease lost %s during entity %d: dropping it", req.request_id, index)
                return False
            if self._hurry.is_set() or (self._stop.is_set()
                                        and time.monotonic() > self._stop_at + self.grace):
                log.warning("stopping: entity %d of %s did not finish within the grace; abandoning "
                            "the request (its lease expires and it is retried)", index, req.request_id)
                return False
        body = {"worker_id": self.worker_id, "attempt": req.attempt, "index": index}
        if "error" in box:
            body["error"] = _error_text(box["error"])
        else:
            entity = box.get("entity")
            if not isinstance(entity, dict):
                body["error"] = f"not a JSON object (got {type(entity).__name__})"
            else:
                try:
                    json.dumps(entity)
                    body["entity"] = entity
                except (TypeError, ValueError) as e:
                    body["error"] = f"not JSON: {e}"
        took = time.monotonic() - started
        if "error" in body:
            log.warning("entity %d of %s failed (%.1f s): %.200s", index, req.request_id, took, body["error"])
        try:
            ans = self._retrying(lambda: self._post(self._rpath(req.request_id, "entities"), body), hb)
        except _Lost:
            return False
        except GentrackError as e:
            if e.status == 413 and "entity" in body:
                body.pop("entity")
                body["error"] = "entity over the server's max_body"
                try:
                    self._retrying(lambda: self._post(self._rpath(req.request_id, "entities"), body), hb)
                    return True
                except (_Lost, GentrackError):
                    return False
            if 400 <= e.status < 500:
                log.error("entity %d of %s refused: %s", index, req.request_id, e)
                return True    # the index stays unrecorded, the rest goes on
            log.warning("cannot record entity %d of %s: %s: abandoning it (its lease expires and it "
                        "is retried)", index, req.request_id, e)
            return False
        if "entity" in body:
            log.info("entity %d of %s ok (%.1f s)%s", index, req.request_id, took,
                     ", already recorded" if ans and ans.get("recorded") is False else "")
        return True

    def _complete(self, req: ClaimedRequest, hb: "_Heartbeat") -> None:
        body = {"worker_id": self.worker_id, "attempt": req.attempt}
        try:
            ans = self._retrying(lambda: self._post(self._rpath(req.request_id, "complete"), body), hb) or {}
            log.info("completed %s: %s (%s generated, %s failed of %s)", req.request_id,
                     ans.get("status"), ans.get("generated_count"), ans.get("failed_count"),
                     ans.get("requested_count"))
        except _Lost:
            log.warning("lease lost %s at complete", req.request_id)
        except GentrackError as e:
            log.warning("cannot complete %s: %s (its lease expires and the reaper takes over)",
                        req.request_id, e)

    def _retrying(self, call, hb: "_Heartbeat"):
        """call() again on transient failures while the lease may be alive;
        _Lost on 409; Unauthorized stops the worker."""
        failures = 0
        while True:
            try:
                return call()
            except Conflict as e:
                self._lost.set()
                raise _Lost() from e
            except Unauthorized as e:
                self._fatal = e
                self._stop.set()
                raise
            except GentrackError as e:
                transient = e.status == 0 or e.status == 429 or e.status >= 502
                if not transient or time.monotonic() >= hb.lease_until or self._hurry.is_set():
                    raise
                wait = max(backoff(failures), min(e.retry_after or 0, 30))
                wait = min(wait, max(0.0, hb.lease_until - time.monotonic()))
                failures += 1
                log.info("%s; again in %.1f s", e, wait)
                time.sleep(wait)


class _Heartbeat:
    """Extends the lease every third of it, on a thread of its own."""

    def __init__(self, worker: Worker, req: ClaimedRequest, lease: float):
        self.w = worker
        self.req = req
        self.lease = lease
        self.lease_until = time.monotonic() + lease
        self._done = threading.Event()
        self._th = threading.Thread(target=self._loop, name="gentrack-heartbeat", daemon=True)

    def start(self) -> None:
        self._th.start()

    def stop(self) -> None:
        self._done.set()
        self._th.join()

    def _loop(self) -> None:
        failures = 0
        interval = self.lease / 3
        while not self._done.wait(interval):
            body = {"worker_id": self.w.worker_id, "attempt": self.req.attempt}
            sent = time.monotonic()
            try:
                ans = self.w._post(f"/generation-requests/{self.req.request_id}/heartbeat", body) or {}
                failures = 0
                lease = ans.get("lease_seconds")
                if isinstance(lease, (int, float)) and 1 <= lease <= 86400:
                    self.lease = float(lease)
                self.lease_until = sent + self.lease
                interval = self.lease / 3
            except Conflict as e:
                log.warning("heartbeat of %s: %s: stopping it", self.req.request_id, e)
                self.w._lost.set()
                return
            except Unauthorized as e:
                self.w._fatal = e
                self.w._lost.set()
                self.w._stop.set()
                return
            except GentrackError as e:
                # Lost or refused heartbeat: try again sooner, within the lease.
                interval = min(self.lease / 3, max(0.2, backoff(failures, cap=self.lease / 3)))
                failures += 1
                log.warning("heartbeat of %s failed: %s; again in %.1f s", self.req.request_id, e, interval)
