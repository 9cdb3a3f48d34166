"""One session as a tree, per Helicone's Sessions semantics.

Every prefix of a ``Helicone-Session-Path`` is a node (``/triage`` → ``/triage/analysis`` →
``/triage/analysis/lab-review``); a request hangs under the node of its full path; requests on
the same path are siblings, in time order. Each node sums its whole subtree: requests, cost,
tokens, latency (the requests' own, summed), errors, and the mean of every score.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..store import epoch_from_iso
from ._filters import ERROR_SQL
from ._rows import Row, ScoreValue, to_jsonable

__all__ = ["SessionNode", "SessionRequest", "SessionTree", "build_tree", "normalize_path"]

_OK = range(200, 300)
assert "BETWEEN 200 AND 299" in ERROR_SQL  # the same rule as the SQL reports


def normalize_path(path: str | None) -> str:
    """``"triage//analysis/"`` → ``"/triage/analysis"``; missing → ``"/"``."""
    parts = [p for p in (path or "").split("/") if p]
    return "/" + "/".join(parts)


@dataclass(frozen=True, slots=True)
class SessionRequest(Row):
    """One request of a session (a leaf of the tree)."""

    id: str
    path: str
    created_at: str
    model: str | None
    provider: str | None
    status: int | None
    error: str | None
    cost_usd: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    latency_ms: float | None
    cache_status: str | None
    user_id: str | None
    scores: Mapping[str, ScoreValue] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status is not None and self.status not in _OK

    @property
    def start_ms(self) -> float:
        return epoch_from_iso(self.created_at) * 1000.0

    @property
    def end_ms(self) -> float:
        return self.start_ms + (self.latency_ms or 0.0)


@dataclass(frozen=True, slots=True)
class SessionNode(Row):
    """A path node: its own requests, its child nodes, and totals over its whole subtree."""

    path: str
    name: str
    requests: tuple[SessionRequest, ...]
    children: tuple[SessionNode, ...]
    request_count: int
    cost_usd: float
    tokens: int
    latency_ms: float
    errors: int
    duration_ms: float
    first_at: str | None
    scores: Mapping[str, float] = field(default_factory=dict)

    @property
    def self_cost_usd(self) -> float:
        """The cost of the requests on exactly this path (children excluded)."""
        return sum(r.cost_usd or 0.0 for r in self.requests)

    def walk(self) -> Iterator[SessionNode]:
        """This node and every node below it, depth first, in time order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "request_count": self.request_count,
            "cost_usd": self.cost_usd,
            "self_cost_usd": self.self_cost_usd,
            "tokens": self.tokens,
            "latency_ms": self.latency_ms,
            "errors": self.errors,
            "duration_ms": self.duration_ms,
            "first_at": self.first_at,
            "scores": dict(self.scores),
            "requests": [r.to_dict() for r in self.requests],
            "children": [c.to_dict() for c in self.children],
        }


@dataclass(frozen=True, slots=True)
class SessionTree(Row):
    """A whole session: its root node (path ``/``) and the session's own figures."""

    session_id: str
    name: str | None
    users: tuple[str, ...]
    root: SessionNode
    first_at: str | None
    last_at: str | None
    scores: Mapping[str, ScoreValue] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.root.request_count

    @property
    def cost_usd(self) -> float:
        return self.root.cost_usd

    @property
    def duration_ms(self) -> float:
        """First start to last end."""
        return self.root.duration_ms

    def nodes(self) -> dict[str, SessionNode]:
        """Every node by path (``tree.nodes()["/triage/analysis"].cost_usd``)."""
        return {node.path: node for node in self.root.walk()}

    def node(self, path: str) -> SessionNode:
        """The node of ``path``; KeyError naming the path if the session has none."""
        found = self.nodes().get(normalize_path(path))
        if found is None:
            raise KeyError(f"session {self.session_id!r} has no node {path!r}")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "name": self.name,
            "users": list(self.users),
            "requests": self.requests,
            "cost_usd": self.cost_usd,
            "duration_ms": self.duration_ms,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "scores": to_jsonable(self.scores),
            "tree": self.root.to_dict(),
        }

    def to_rich(self) -> Any:
        """A ``rich.tree.Tree`` of the session, for ``rich.print`` / a console."""
        from ._render import session_tree

        return session_tree(self)


class _Builder:
    __slots__ = ("children", "path", "requests")

    def __init__(self, path: str) -> None:
        self.path = path
        self.requests: list[SessionRequest] = []
        self.children: dict[str, _Builder] = {}

    def child(self, path: str) -> _Builder:
        node = self.children.get(path)
        if node is None:
            node = self.children[path] = _Builder(path)
        return node

    def freeze(self, name: str) -> SessionNode:
        children = [c.freeze(c.path.rsplit("/", 1)[1]) for c in self.children.values()]
        children.sort(key=lambda c: c.first_at or "")
        everything = [*self.requests, *(r for c in children for r in _all(c))]
        starts = [r.start_ms for r in everything]
        ends = [r.end_ms for r in everything]
        return SessionNode(
            path=self.path,
            name=name,
            requests=tuple(self.requests),
            children=tuple(children),
            request_count=len(everything),
            cost_usd=sum(r.cost_usd or 0.0 for r in everything),
            tokens=sum(r.total_tokens or 0 for r in everything),
            latency_ms=sum(r.latency_ms or 0.0 for r in everything),
            errors=sum(r.failed for r in everything),
            duration_ms=(max(ends) - min(starts)) if everything else 0.0,
            first_at=min((r.created_at for r in everything), default=None),
            scores=_means(everything),
        )


def _all(node: SessionNode) -> Iterator[SessionRequest]:
    yield from node.requests
    for child in node.children:
        yield from _all(child)


def _means(requests: Sequence[SessionRequest]) -> dict[str, float]:
    totals: dict[str, list[float]] = {}
    for request in requests:
        for name, value in request.scores.items():
            totals.setdefault(name, []).append(float(value))
    return {name: sum(values) / len(values) for name, values in sorted(totals.items())}


def build_tree(
    session_id: str,
    requests: Sequence[SessionRequest],
    *,
    name: str | None,
    scores: Mapping[str, ScoreValue],
) -> SessionTree:
    """The tree of ``requests`` (already in time order)."""
    root = _Builder("/")
    for request in requests:
        node = root
        prefix = ""
        for part in request.path.strip("/").split("/") if request.path != "/" else ():
            prefix = f"{prefix}/{part}"
            node = node.child(prefix)
        node.requests.append(request)
    frozen = root.freeze(name or session_id)
    return SessionTree(
        session_id=session_id,
        name=name,
        users=tuple(sorted({r.user_id for r in requests if r.user_id})),
        root=frozen,
        first_at=requests[0].created_at if requests else None,
        last_at=max((r.created_at for r in requests), default=None),
        scores=scores,
    )
