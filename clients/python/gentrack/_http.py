"""The HTTP transport (urllib) and the retry arithmetic shared by the client
and the worker."""

from __future__ import annotations

import http.client
import json
import random
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from .errors import GentrackError, Unavailable, error_from_response

USER_AGENT = "gentrack-python/0.1"


def backoff(failures: int, base: float = 0.5, cap: float = 30.0, rnd=random.random) -> float:
    """Full jitter (as clients/js/gentrack.mjs's backoffMs): a random wait in
    [0, min(cap, base * 2^failures)) seconds."""
    return rnd() * min(cap, base * 2 ** min(failures, 20))


def retry_after_of(headers: Message | None) -> float | None:
    """Retry-After in seconds (delta-seconds only, as gentrack sends it)."""
    if headers is None:
        return None
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None

    @property
    def retry_after(self) -> float | None:
        return retry_after_of(self.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the API never redirects
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Transport:
    """One base URL and one credential; every call a fresh connection."""

    def __init__(self, base_url: str, bearer: str | None, timeout: float = 30.0):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.bearer = bearer
        self.timeout = timeout

    def url(self, path: str, query: dict | None = None) -> str:
        url = self.base_url + path
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            if q:
                url += "?" + urllib.parse.urlencode(q)
        return url

    def open(self, method: str, path: str, *, query: dict | None = None, body=None,
             headers: dict | None = None, timeout: float | None = None):
        """The raw urllib answer (a file-like object, for streams), or an
        exception: GentrackError for an HTTP error, Unavailable(status=0)
        for no answer. 304 and 204 come back as answers."""
        h = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.bearer:
            h["Authorization"] = f"Bearer {self.bearer}"
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        req = urllib.request.Request(self.url(path, query), data=data, headers=h, method=method)
        try:
            return _opener.open(req, timeout=self.timeout if timeout is None else timeout)
        except urllib.error.HTTPError as e:
            if e.code == 304:
                return e
            try:
                raw = e.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                e.close()
            raise error_from_response(e.code, raw, retry_after_of(e.headers)) from None
        except (urllib.error.URLError, OSError, socket.timeout, http.client.HTTPException) as e:
            reason = getattr(e, "reason", e)
            raise Unavailable(status=0, detail=f"no answer from {self.base_url}: {reason}") from e

    def call(self, method: str, path: str, **kw) -> Response:
        """A whole answer, body read."""
        resp = self.open(method, path, **kw)
        try:
            status = resp.status if hasattr(resp, "status") else resp.code
            try:
                data = resp.read() if status != 304 else b""
            except (OSError, http.client.HTTPException) as e:
                raise Unavailable(status=0, detail=f"answer cut short: {e}") from e
            return Response(status, resp.headers, data)
        finally:
            resp.close()


def check_json(resp: Response) -> dict:
    try:
        obj = resp.json()
    except ValueError as e:
        raise GentrackError(status=resp.status, detail=f"not JSON: {e}") from None
    if not isinstance(obj, dict):
        raise GentrackError(status=resp.status, detail="not a JSON object")
    return obj
