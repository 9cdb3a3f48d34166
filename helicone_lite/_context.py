"""Scoped defaults: ``with helicone_lite.session(...)``, ``user(...)``, ``properties(...)``.

Scopes live in a :class:`contextvars.ContextVar`, so they nest, and each thread and each asyncio
task sees its own: a task inherits the scope it was created in; a new thread starts empty (as
with every context variable; use ``contextvars.copy_context().run`` to carry a scope over).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # options load with the first scope or client, not with the package
    from .options import Options

__all__ = ["current_scope", "properties", "scope", "session", "user"]

#: None outside any scope: the empty options (loaded on first use)
_SCOPE: ContextVar[Options | None] = ContextVar("helicone_lite_scope", default=None)


def current_scope() -> Options:
    """The options the enclosing ``with`` scopes set, merged (empty outside any scope)."""
    found = _SCOPE.get()
    return _empty() if found is None else found


@cache
def _empty() -> Options:
    """The empty options, imported once (an import statement costs microseconds per call)."""
    from .options._model import EMPTY

    return EMPTY


@contextmanager
def scope(options: Options | Mapping[str, Any] | None = None, **kwargs: Any) -> Iterator[Options]:
    """Apply any keyword options to every call made inside the block.

    >>> with scope(cache_enabled=True, properties={"app": "triage"}) as opts:
    ...     opts.cache_enabled
    True
    """
    from .options._parse import parse_kwargs

    added = parse_kwargs(options).merge(parse_kwargs(kwargs)) if kwargs else parse_kwargs(options)
    merged = current_scope().merge(added)
    token = _SCOPE.set(merged)
    try:
        yield merged
    finally:
        _SCOPE.reset(token)


def session(id: str | None = None, *, path: str | None = None, name: str | None = None) -> Any:
    """Group the calls in the block into one session (``Helicone-Session-*``).

    Inside an outer ``session(...)``, ``session(path="/triage/analysis")`` keeps its id and name.

    >>> with session("s-1", path="/triage", name="Triage"):
    ...     current_scope().session_path
    '/triage'
    """
    return scope(session_id=id, session_path=path, session_name=name)


def user(id: str) -> Any:
    """Attribute the calls in the block to a user (``Helicone-User-Id``)."""
    return scope(user_id=id)


def properties(**values: Any) -> Any:
    """Tag the calls in the block with custom properties (``Helicone-Property-<Name>``)."""
    return scope(properties=values)
