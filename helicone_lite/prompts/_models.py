"""The typed values the registry returns, and the helpers that keep them immutable."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from ._errors import PromptError, short

__all__ = [
    "AUTO",
    "PER_CALL",
    "Deployment",
    "Head",
    "Prompt",
    "PromptVersion",
    "Resolved",
    "VersionStats",
    "check_environment",
    "check_prompt_id",
    "check_version",
    "content_hash",
    "freeze",
    "jsonable",
    "prepare_content",
    "thaw",
]

#: ``prompt_versions.source`` of versions recorded from calls that carried their own messages.
AUTO = "auto"
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def freeze(value: Any) -> Any:
    """A deep read-only copy: dicts become mappingproxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain, JSON-ready (and mutable) copy of a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, MappingProxyType):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def jsonable(value: Any, what: str) -> Any:
    """``value`` as plain JSON data (pydantic messages dumped); PromptError if it is not."""
    try:
        return json.loads(json.dumps(value, default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise PromptError(f"{what} must be JSON data: {exc}", what, short(value)) from None


def content_hash(messages: Any, model: str | None, params: Mapping[str, Any]) -> str:
    """The identity of a version's content (messages, model, params), order-independent keys."""
    text = json.dumps(
        {"messages": messages, "model": model, "params": params},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def check_prompt_id(prompt_id: object, option: str = "prompt_id") -> str:
    if not isinstance(prompt_id, str) or not prompt_id.strip():
        raise PromptError(
            f"{option}: {short(prompt_id)} is not a prompt id",
            option,
            prompt_id,
            "a non-empty string",
        )
    text = prompt_id.strip()
    if len(text) > 256 or any(ord(c) < 32 for c in text):
        raise PromptError(
            f"{option}: {short(prompt_id)} is not a prompt id (at most 256 printable characters)",
            option,
            prompt_id,
            "at most 256 printable characters",
        )
    return text


def check_environment(environment: object, option: str = "environment") -> str:
    """A valid environment name, lowercased (``Production`` and ``production`` are one)."""
    if isinstance(environment, str) and _ENVIRONMENT.match(environment.strip()):
        return environment.strip().lower()
    allowed = "letters, digits, '_', '.', '-' (up to 64), e.g. production, staging"
    raise PromptError(
        f"{option}: {short(environment)} is not an environment name; expected {allowed}",
        option,
        environment,
        allowed,
    )


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One immutable version of a prompt: its message templates, model and parameters.

    ``variables`` maps every input the templates use to its type (``string``, ``number``,
    ``boolean`` for Helicone's ``{{hc:name:type}}``; ``any`` for plain Jinja variables).
    ``source``: ``api``, ``import`` or ``auto`` (recorded from calls that carried their own
    messages). ``messages`` and ``params`` are read-only; :meth:`to_dict` gives plain copies.
    """

    prompt_id: str
    version: int
    messages: tuple[Mapping[str, Any], ...]
    model: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    template_hash: str = ""
    source: str = "api"
    created_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "prompt_id": self.prompt_id,
            "version": self.version,
            "model": self.model,
            "params": thaw(self.params),
            "messages": thaw(self.messages),
            "variables": dict(self.variables),
            "template_hash": self.template_hash,
            "source": self.source,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt of the registry: its latest version and where its environments point."""

    id: str
    latest_version: int
    environments: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    source: str = "api"
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    """One move of an environment's pointer (``action``: ``deploy`` or ``rollback``)."""

    prompt_id: str
    environment: str
    from_version: int | None
    to_version: int
    action: str
    created_at: str
    id: int = 0


@dataclass(frozen=True, slots=True)
class VersionStats:
    """What one version did, from the request log: calls, errors, cost, latency, scores."""

    version: int
    calls: int
    errors: int
    cost_usd: float | None
    mean_latency_ms: float | None
    scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used map (bounded caches on the call path)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)


def as_messages(messages: object, what: str = "messages") -> list[dict[str, Any]]:
    """Validate chat messages (a non-empty list of objects with a ``role``); plain copies."""
    if isinstance(messages, Sequence) and not isinstance(messages, (str, bytes)):
        messages = list(messages)
    data = jsonable(messages, what)
    if not isinstance(data, list) or not data:
        raise PromptError(
            f"{what}: expected a non-empty list of chat messages", what, short(messages)
        )
    for index, message in enumerate(data):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise PromptError(
                f"{what}[{index}]: expected a message like {{'role': 'user', 'content': '…'}}",
                what,
                short(message),
            )
    return data


#: parameters that belong to one call, never to a stored prompt.
PER_CALL = frozenset(
    {
        "messages",
        "model",
        "stream",
        "stream_options",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "helicone",
        "prompt_id",
        "version_id",
        "environment",
        "inputs",
    }
)


def prepare_content(
    pid: str, messages: Any, model: str | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """A version's content checked: messages, model, JSON params, and its hash."""
    msgs = as_messages(messages)
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise PromptError(f"model: {short(model)} is not a model name", "model", model)
    bad = sorted(set(params) & PER_CALL)
    if bad:
        raise PromptError(
            f"prompt {pid!r}: {', '.join(bad)} belong to a call, not to a stored prompt",
            bad[0],
            params[bad[0]],
        )
    data = jsonable(dict(params), "params")
    name = model.strip() if model else None
    return {
        "messages": msgs,
        "model": name,
        "params": data,
        "hash": content_hash(msgs, name, data),
    }


@dataclass(frozen=True, slots=True)
class Head:
    """A prompt's latest version (number, source, content hash) and one environment pointer."""

    latest: int
    source: str
    template_hash: str
    environment_version: int | None


@dataclass(frozen=True, slots=True)
class Resolved:
    """The version a call uses, and the environment that chose it (None if none did)."""

    version: PromptVersion
    environment: str | None


def check_version(version: object, option: str = "version") -> int:
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        return version
    raise PromptError(
        f"{option}: {short(version)} is not a version number; expected a whole number >= 1",
        option,
        version,
        "a whole number >= 1",
    )
