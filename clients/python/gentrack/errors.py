"""Exceptions built from the server's RFC 9457 problem+json answers."""

from __future__ import annotations

import json
from typing import Any


class GentrackError(Exception):
    """Any error of the service or of the way to it.

    ``status`` is the HTTP status (0 for a network error or a timeout);
    ``type``, ``title`` and ``detail`` come from the problem+json body when
    the server sent one; ``problem`` is that whole body (or None).
    """

    def __init__(self, status: int = 0, type: str | None = None, title: str | None = None,
                 detail: str | None = None, problem: dict | None = None,
                 retry_after: float | None = None):
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(self._message())

    def _message(self) -> str:
        what = self.detail or self.title or "error"
        return f"{self.status} {what}" if self.status else what


class Unauthorized(GentrackError):
    """401 (no, bad or revoked key) or 403 (a key of the wrong role)."""


class NotFound(GentrackError):
    """404: unknown id, or one owned by another client."""


class Conflict(GentrackError):
    """409: an active request for the subject exists (``existing_request_id``),
    a cancel of a finished request, an Idempotency-Key still in flight, or
    (workers) a lease that is no longer ours."""

    @property
    def existing_request_id(self) -> str | None:
        return (self.problem or {}).get("existing_request_id")


class Invalid(GentrackError):
    """400, 413, 415 or 422: the server refused the input. ``errors`` holds
    per-field errors when the problem carries any (a list of dicts, maybe
    empty); ``detail`` says what was wrong."""

    @property
    def errors(self) -> list:
        errs = (self.problem or {}).get("errors")
        return errs if isinstance(errs, list) else []


class RateLimited(GentrackError):
    """429: over a per-owner limit; ``retry_after`` in seconds."""


class Unavailable(GentrackError):
    """5xx, or no answer at all (``status`` 0): the service or its store is
    unreachable for now; ``retry_after`` when the server said."""


def _class_for(status: int) -> type[GentrackError]:
    if status in (401, 403):
        return Unauthorized
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status in (400, 413, 415, 422):
        return Invalid
    if status == 429:
        return RateLimited
    if status == 0 or status >= 500:
        return Unavailable
    return GentrackError


def error_from_response(status: int, body: bytes, retry_after: float | None = None) -> GentrackError:
    """The exception for an HTTP error answer (a problem+json body, or not)."""
    problem: Any = None
    try:
        problem = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        problem = None
    if not isinstance(problem, dict):
        problem = None
    p = problem or {}
    detail = p.get("detail")
    if detail is None and problem is None and body:
        detail = body[:200].decode("utf-8", "replace").strip() or None
    return _class_for(status)(status=status, type=p.get("type"), title=p.get("title"),
                              detail=detail, problem=problem, retry_after=retry_after)
