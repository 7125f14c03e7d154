"""The resources as plain dataclasses. Fields the server adds later land in
``extra`` (a dict) instead of breaking an older client."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator

TERMINAL = frozenset({"completed", "partial", "failed", "cancelled"})


@dataclass
class Entity:
    """One generated entity: the object the worker recorded (``data``), and
    its place among the request's generated entities (``position``, 0-based;
    failed indexes have no entity, so it may differ from the worker's index)."""

    data: dict
    position: int = 0

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass
class GenerationRequest:
    """A generation request as the API shows it (SPEC §3, "The resource").
    ``entities`` is None where the answer had none (list items, stream
    events); ``status_token`` only in the answer of a create; ``version``
    only in stream events."""

    request_id: str
    entity_type: str
    status: str
    subject_key: str | None = None
    requested_count: int = 0
    generated_count: int = 0
    failed_count: int = 0
    progress: float = 0.0
    attempt: int = 0
    requested_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    cancelled_at: str | None = None
    failure_reason: str | None = None
    error_message: str | None = None
    constraints: dict | None = None
    metadata: dict | None = None
    priority: int | None = None
    webhook: str | None = None
    entities: list[Entity] | None = None
    status_token: str | None = None
    version: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """True once the request has its final state."""
        return self.status in TERMINAL

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities or [])

    @classmethod
    def from_json(cls, obj: dict) -> "GenerationRequest":
        return _build(cls, obj)


@dataclass
class ClaimedRequest(GenerationRequest):
    """What a worker's claim hands out: the resource plus the lease."""

    remaining: int = 0
    lease_expires_at: str | None = None
    lease_seconds: int | None = None
    pending_indexes: list[int] | None = None


def _build(cls, obj: dict):
    if not isinstance(obj, dict):
        raise TypeError(f"expected a JSON object, got {type(obj).__name__}")
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    known = {k: v for k, v in obj.items() if k in names}
    extra = {k: v for k, v in obj.items() if k not in names}
    ents = known.get("entities")
    if isinstance(ents, list):
        known["entities"] = [Entity(data=e if isinstance(e, dict) else {"value": e}, position=i)
                             for i, e in enumerate(ents)]
    known.setdefault("request_id", obj.get("request_id", ""))
    known.setdefault("entity_type", obj.get("entity_type", ""))
    known.setdefault("status", obj.get("status", ""))
    return cls(**known, extra=extra)
