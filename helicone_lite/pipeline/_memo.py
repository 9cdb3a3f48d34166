"""The options memo: a call whose option inputs were seen before skips parsing them again.

Building a :class:`Call` parses the ``Helicone-*`` headers and the ``helicone=`` keyword,
merges them over the client's defaults and the ``with`` scopes, completes them from the body
(``user=``, the session path), checks the rate-limit policies against them and resolves the
model string to its fallback chain. All of it is a pure function of those inputs and of the
client's (immutable) provider registry, and applications send the same few option sets over
and over, so :class:`OptionsMemo` keeps the answer per input, keyed on:

* the identity of the client's defaults and of the current scope (both frozen
  :class:`Options`; the memo holds a reference to each, so an id is never reused while its
  entry lives),
* the ``extra_headers`` items and the ``helicone=`` items (or the ``Options`` object itself),
* the model string and the body's ``user``.

Inputs that cannot be hashed (a ``helicone={"properties": {...}}`` dict, a header value that
is a list) are simply not memoised. Only successful parses are stored, so bad input raises
:class:`OptionsError` on every call, before anything is sent. Per-call work stays per call:
the request id, ``Helicone-Request-Id`` claims, the provider key check (keys may come from
the environment) and the clocks.

The memo is bounded (:data:`LIMIT` entries; when full it starts over): a ``Helicone-Request-Id``
or a per-call property makes every key new, and those must not grow memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..options import Options
from ._call import Target

__all__ = ["LIMIT", "Memoised", "OptionsMemo", "memo_key"]

#: entries kept before the memo starts over
LIMIT = 512


@dataclass(frozen=True, slots=True)
class Memoised:
    """What the option inputs of a call come to."""

    defaults: Options
    scope: Options
    options: Options
    #: ``extra_headers`` without the option headers (None: the call gave none)
    headers: Mapping[str, Any] | None
    #: the registry's targets for the model (None: the caller gives its own)
    targets: tuple[Target, ...] | None


def _items(value: Mapping[str, Any] | None) -> tuple[tuple[str, type, Any], ...] | None:
    """The items with their values' types: ``True == 1 == 1.0`` (and they hash alike), but
    ``cache_enabled=True`` is valid where ``1`` must raise."""
    if value is None:
        return None
    values = value.values()  # zipped in C: no generator frame per item (issue 12)
    return tuple(zip(value, map(type, values), values, strict=True))


def memo_key(
    defaults: Options,
    scope: Options,
    headers: Mapping[str, Any] | None,
    helicone: Options | Mapping[str, Any] | None,
    model: object,
    user: object,
) -> tuple[Any, ...] | None:
    """The memo key of a call's option inputs, or None when they cannot be memoised."""
    given: Any
    if helicone is None or isinstance(helicone, Options):
        given = helicone if helicone is None else id(helicone)  # pinned by the entry
    elif isinstance(helicone, Mapping):
        given = _items(helicone)
    else:
        return None  # not an option set: the full path raises the error
    if headers is not None and not isinstance(headers, Mapping):
        return None
    key = (id(defaults), id(scope), _items(headers), given, model, type(user), user)
    try:
        hash(key)
    except TypeError:  # a list or dict among the values
        return None
    return key


class OptionsMemo:
    """A bounded map from option inputs (:func:`memo_key`) to :class:`Memoised` answers.

    Safe to share between threads: a lookup and a store are single dict operations; two
    threads missing the same key both compute the same answer.
    """

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._entries: dict[tuple[Any, ...], tuple[Memoised, Options | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, key: tuple[Any, ...], defaults: Options, scope: Options, helicone: object
    ) -> Memoised | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        found, pinned = entry
        if found.defaults is not defaults or found.scope is not scope:
            return None
        if isinstance(helicone, Options) and pinned is not helicone:
            return None
        return found

    def put(self, key: tuple[Any, ...], found: Memoised, helicone: object) -> None:
        if len(self._entries) >= self._limit:
            self._entries.clear()
        pinned = helicone if isinstance(helicone, Options) else None
        self._entries[key] = (found, pinned)
