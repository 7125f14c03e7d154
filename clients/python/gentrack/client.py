"""The client API: create, get, list, cancel and wait (SPEC §3 "Client")."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import urllib.parse
import uuid
from typing import Callable, Iterator

from ._http import Transport, backoff, check_json
from .errors import Conflict, GentrackError, Invalid, NotFound, Unavailable
from .models import GenerationRequest

log = logging.getLogger("gentrack")

COLLECTION = "/api/v1/generation-requests"
_UNSET = object()


def _path(request_id: str, tail: str = "") -> str:
    return f"{COLLECTION}/{urllib.parse.quote(str(request_id), safe='')}{tail}"


class Client:
    """A client of gentrack's client API, with an API key (``key``, role
    client) or a request's status token (``token``: get, wait and cancel of
    that one request only).

    Errors are exceptions of :mod:`gentrack.errors`. ``timeout`` is the
    per-call network timeout in seconds; ``max_retries`` bounds the retries
    of ``create`` (and of the GETs ``wait`` makes on transient failures)."""

    def __init__(self, base_url: str, key: str | None = None, token: str | None = None,
                 *, timeout: float = 30.0, max_retries: int = 5, sleep=time.sleep):
        if key and token:
            raise ValueError("give key or token, not both")
        self._t = Transport(base_url, key or token, timeout)
        self.base_url = self._t.base_url
        self.max_retries = max_retries
        self._sleep = sleep
        #: Which way the last ``wait`` ended: "stream", "long-poll" or "poll".
        self.last_wait_path: str | None = None

    # ---- create ----
    def create(self, entity_type: str, count: int | None = None, *, subject_key: str | None = None,
               constraints: dict | None = None, metadata: dict | None = None,
               priority: int | None = None, webhook: str | None = None,
               idempotency_key: str | None = None) -> GenerationRequest:
        """Creates a request (202); the answer is the pending resource with its
        ``status_token`` (shown once). Sent with an ``Idempotency-Key`` (a
        random one unless given), so that a create whose answer was lost —
        a 5xx, a timeout, a dropped connection, a key still in flight (409) —
        is sent again with the same key and body, at most ``max_retries``
        more times with jittered backoff: the server stores one request.
        Raises Conflict (``existing_request_id``) for an active request of
        the same subject, Invalid, RateLimited, Unauthorized, Unavailable."""
        body: dict = {"entity_type": entity_type}
        for name, value in (("count", count), ("subject_key", subject_key),
                            ("constraints", constraints), ("metadata", metadata),
                            ("priority", priority), ("webhook", webhook)):
            if value is not None:
                body[name] = value
        key = idempotency_key or str(uuid.uuid4())
        failures = 0
        while True:
            try:
                resp = self._t.call("POST", COLLECTION, body=body, headers={"Idempotency-Key": key})
                return GenerationRequest.from_json(check_json(resp))
            except (Unavailable, Conflict) as e:
                if isinstance(e, Conflict) and e.type != "urn:gentrack:problem:idempotency-key-in-use":
                    raise
                if failures >= self.max_retries:
                    raise
                wait = max(backoff(failures), min(e.retry_after or 0, 30))
                failures += 1
                log.info("create: %s; retrying in %.1f s with the same Idempotency-Key", e, wait)
                self._sleep(wait)

    # ---- get ----
    def get(self, request_id: str) -> GenerationRequest:
        """The resource, its entities included. NotFound for an unknown id
        (or another owner's)."""
        return GenerationRequest.from_json(check_json(self._t.call("GET", _path(request_id))))

    # ---- list ----
    def list(self, *, status: str | None = None, entity_type: str | None = None,
             subject_key: str | None = None, limit: int | None = None) -> Iterator[GenerationRequest]:
        """Every request of the caller's owner that matches, newest first,
        fetched a page (``limit``, server default 20, max 100) at a time,
        following ``next_cursor``. The items have no ``entities``."""
        cursor = None
        while True:
            query = {"status": status, "entity_type": entity_type, "subject_key": subject_key,
                     "limit": limit, "cursor": cursor}
            page = check_json(self._t.call("GET", COLLECTION, query=query))
            for item in page.get("items") or []:
                yield GenerationRequest.from_json(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- cancel ----
    def cancel(self, request_id: str, reason: str | None = None) -> GenerationRequest:
        """pending or processing → cancelled: the resource as cancelled.
        Conflict when it had already finished."""
        body = {"reason": reason} if reason else {}
        return GenerationRequest.from_json(check_json(self._t.call("POST", _path(request_id, "/cancel"),
                                                                   body=body)))

    # ---- wait ----
    def wait(self, request_id: str, timeout: float = 1800.0,
             on_update: Callable[[GenerationRequest], None] | None = None) -> GenerationRequest:
        """Blocks until the request has its final state (completed, partial,
        failed, cancelled) and returns it with its entities.

        How, in this order: the live stream (``/events``, Server-Sent
        Events held by nginx; dropped streams resume with Last-Event-ID);
        when the server has no live module (501) or the stream cannot be
        had, the long poll (``?wait=N`` with If-None-Match: the server
        answers when the request changes); where the server does not hold
        it (it answers at once), polling that honours Retry-After and
        ETag (304). Network errors, 429 and 5xx are retried with capped
        exponential backoff and full jitter. ``on_update`` sees each newer
        state. GentrackError (status 0) after ``timeout`` seconds without a
        final state; NotFound, Unauthorized at once."""
        w = _Wait(self, request_id, time.monotonic() + timeout, on_update)
        return w.run()


class _Wait:
    def __init__(self, client: Client, request_id: str, deadline: float, on_update):
        self.c = client
        self.t = client._t
        self.id = request_id
        self.deadline = deadline
        self.on_update = on_update
        self.version = -1
        self.etag: str | None = None

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def timed_out(self) -> GentrackError:
        return GentrackError(status=0, detail="gave up waiting: no final state in time")

    def update(self, r: GenerationRequest) -> None:
        v = r.version
        if v is None and self.etag:
            digits = "".join(ch for ch in self.etag if ch.isdigit())
            v = int(digits) if digits else None
        if v is not None:
            if v <= self.version:
                return
            self.version = v
        if self.on_update:
            self.on_update(r)

    def nap(self, seconds: float) -> None:
        seconds = min(seconds, self.left())
        if seconds > 0:
            self.c._sleep(seconds)

    def run(self) -> GenerationRequest:
        how = self.stream()
        if how == "final":
            self.c.last_wait_path = "stream"
            return self.final_get()
        return self.poll()

    def final_get(self) -> GenerationRequest:
        failures = 0
        while True:
            try:
                return self.c.get(self.id)
            except Unavailable as e:
                if self.left() <= 0 or failures > self.c.max_retries:
                    raise
                self.nap(max(backoff(failures), min(e.retry_after or 0, 30)))
                failures += 1

    # ---- 1. the stream ----
    def stream(self) -> str:
        """"final" when the stream showed the final state; "none" when
        there is no stream to have (501, 503, refused)."""
        last_id: str | None = None
        failures = 0
        got_any = False
        while self.left() > 0:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            try:
                resp = self.t.open("GET", _path(self.id, "/events"), headers=headers,
                                   timeout=max(1.0, min(self.left(), 60.0)))
            except (NotFound, Invalid) as e:
                raise e
            except GentrackError as e:
                if e.status in (401, 403):
                    raise
                if e.status in (501, 404) or (e.status == 503 and not got_any):
                    # 501: no live module; 503 at once: live updates unavailable.
                    return "none"
                if e.status == 0 or e.status >= 500 or e.status == 429:
                    if failures >= 3:
                        return "none"
                    self.nap(max(backoff(failures), min(e.retry_after or 0, 30)))
                    failures += 1
                    continue
                return "none"
            with resp:
                status = resp.status if hasattr(resp, "status") else resp.code
                if status == 204:
                    # The reconnect named the final event: we have it.
                    return "final" if got_any else "none"
                ctype = resp.headers.get("Content-Type", "")
                if status != 200 or not ctype.startswith("text/event-stream"):
                    return "none"
                try:
                    for ev_id, data in _sse_events(resp):
                        if ev_id:
                            last_id = ev_id
                        try:
                            obj = json.loads(data)
                        except ValueError:
                            continue
                        if not isinstance(obj, dict):
                            continue
                        got_any = True
                        failures = 0
                        state = GenerationRequest.from_json(obj)
                        self.update(state)
                        if state.terminal:
                            return "final"
                except (OSError, socket.timeout, ValueError) as e:
                    log.debug("wait: stream dropped (%s); resuming", e)
            # The stream ended without a final state: resume after last_id.
            if self.left() <= 0:
                break
            self.nap(backoff(failures, base=0.25, cap=5))
            failures += 1
            if failures > 10:
                return "none"
        raise self.timed_out()

    # ---- 2. the long poll, 3. polling ----
    def poll(self) -> GenerationRequest:
        longpoll = True
        quick = 0          # 304s in a row that came at once: nobody holds ?wait here
        held = False       # a ?wait was held by the server at least once
        failures = 0
        while True:
            if self.left() <= 0:
                raise self.timed_out()
            n = int(max(1, min(30, self.left())))
            use_wait = longpoll and self.etag is not None
            headers = {"If-None-Match": self.etag} if self.etag else None
            started = time.monotonic()
            try:
                resp = self.t.call("GET", _path(self.id), query={"wait": n} if use_wait else None,
                                   headers=headers,
                                   timeout=(n + self.t.timeout) if use_wait else None)
            except Invalid as e:
                if use_wait:          # a server without ?wait (400 for the query)
                    longpoll = False
                    continue
                raise e
            except GentrackError as e:
                if not (e.status == 0 or e.status == 429 or e.status >= 500):
                    raise
                self.nap(max(backoff(failures), min(e.retry_after or 0, 30)))
                failures += 1
                continue
            failures = 0
            took = time.monotonic() - started
            if resp.status == 200:
                self.etag = resp.headers.get("ETag") or self.etag
                state = GenerationRequest.from_json(check_json(resp))
                self.update(state)
                if use_wait and took >= 0.5:
                    held = True
                if state.terminal:
                    self.c.last_wait_path = "long-poll" if longpoll and held else "poll"
                    return state
                if longpoll:
                    continue    # the next ?wait at once, with the new ETag
            elif use_wait:
                if took >= 0.5:
                    held = True
                    quick = 0
                    continue
                quick += 1
                if quick < 2:
                    continue
                longpoll = False   # answered at once twice: polling
                log.debug("wait: the server does not hold ?wait; polling")
            ra = resp.retry_after
            self.nap(min(30.0, max(1.0, ra if ra else 2.0)))


def _sse_events(resp):
    """(id, data) of each event of a text/event-stream (WHATWG rules: data
    lines joined by newlines, comments and unknown fields ignored; an id
    stays until another one comes)."""
    ev_id = None
    data: list[str] = []
    while True:
        raw = resp.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data:
                yield ev_id, "\n".join(data)
            data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            ev_id = value


class AsyncClient:
    """The asyncio face of :class:`Client`, for FastAPI handlers and other
    coroutines. Honest about how: each call runs the blocking client in a
    worker thread (``asyncio.to_thread``), so it never blocks the event
    loop, but a ``wait`` holds one thread of the default executor while it
    waits; cancelling the awaiting task does not stop that thread before its
    current HTTP call returns (its ``timeout`` bounds it)."""

    def __init__(self, base_url: str, key: str | None = None, token: str | None = None, **kw):
        self.sync = Client(base_url, key=key, token=token, **kw)

    async def create(self, entity_type: str, count: int | None = None, **kw) -> GenerationRequest:
        return await asyncio.to_thread(self.sync.create, entity_type, count, **kw)

    async def get(self, request_id: str) -> GenerationRequest:
        return await asyncio.to_thread(self.sync.get, request_id)

    async def list(self, **filters) -> list[GenerationRequest]:
        """Every matching request (all pages), as a list."""
        return await asyncio.to_thread(lambda: list(self.sync.list(**filters)))

    async def cancel(self, request_id: str, reason: str | None = None) -> GenerationRequest:
        return await asyncio.to_thread(self.sync.cancel, request_id, reason)

    async def wait(self, request_id: str, timeout: float = 1800.0, on_update=None) -> GenerationRequest:
        return await asyncio.to_thread(self.sync.wait, request_id, timeout, on_update)
