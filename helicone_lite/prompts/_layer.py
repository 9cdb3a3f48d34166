"""The prompts layer: ``Helicone-Prompt-Id`` on a call.

Two cases (docs/prompts.md):

* the prompt is in the registry (created by API, CLI or import): the chosen version is rendered
  with the call's inputs; stored messages first, the call's own appended; the call's other
  parameters override the stored ones. Version choice: explicit version, else the environment's,
  else production's, else the latest. A missing or wrongly typed input, an unknown version or
  environment: :class:`~helicone_lite.prompts.PromptError` (an ``OptionsError``), before any
  provider is called;
* the call carries its own messages and the prompt is not managed in the registry (Helicone's
  original behaviour, the seed's examples): the call goes out as it is, tagged with the prompt
  id, and its messages are recorded as the prompt's template; new content becomes a new version.
  This must stay cheap: the last content hash per prompt is kept in memory, so an unchanged
  template costs one hash and no database access (re-checked once per ``recheck_seconds``, so a
  prompt adopted into the registry by another process is seen quickly).

Helicone's body fields ``prompt_id``, ``version_id``, ``environment``, ``inputs`` (through
``extra_body``) work too and are removed before the provider sees the body.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._kinds import KINDS, kind_of
from ..pipeline._call import Blocking, Call, Forward, Result
from ..pipeline._stack import Flow
from ..store import StoreError
from . import PromptError, PromptRegistry
from ._legacy import split_inputs
from ._merge import merge_params
from ._models import (
    AUTO,
    LRU,
    Resolved,
    check_environment,
    check_prompt_id,
    check_version,
    content_hash,
    jsonable,
)

if TYPE_CHECKING:
    from ..options import Options
    from ..pipeline._call import Target

__all__ = ["BODY_FIELDS", "Prompts"]

_log = logging.getLogger("helicone_lite")

#: Helicone's request-body fields -> the option they set.
BODY_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "prompt_id": "prompt_id",
        "version_id": "prompt_version",
        "environment": "prompt_environment",
        "inputs": "prompt_inputs",
    }
)
_MANAGED = -1  # _auto_version's answer: the registry manages this prompt: render it


@dataclass(frozen=True, slots=True)
class _Ask:
    """What a call asks of the prompts layer, from its options and body fields."""

    prompt_id: str
    version: int | None
    environment: str | None
    inputs: Mapping[str, Any]
    request: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Seen:
    """The last messages recorded for a prompt id (a private plain copy), and their version."""

    messages: list[Any]
    digest: str
    version: int | None
    checked: float


def _columns(
    prompt_id: str, version: int | None, environment: str | None, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The request-log columns of a prompt call."""
    return {
        "prompt_id": prompt_id,
        "prompt_version": version,
        "prompt_environment": environment,
        "prompt_inputs": dict(inputs) if inputs else None,
    }


class Prompts:
    """Renders registry prompts into calls; records the templates of calls that bring their
    own messages. Sits right inside the recorder."""

    def __init__(
        self,
        registry: PromptRegistry,
        resolve: Callable[[str, Options], tuple[Target, ...]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        recheck_seconds: float = 1.0,
        cache_size: int = 1024,
    ) -> None:
        """``resolve(model, options)``: the targets of a model (the client's provider registry),
        for a stored prompt that names another model."""
        self.registry = registry
        self._resolve_targets = resolve
        self._monotonic = monotonic
        self._auto: LRU[str, _Seen] = LRU(cache_size)
        self._managed: LRU[str, bool] = LRU(cache_size)
        self._recheck = recheck_seconds
        self._warned = False

    def wants(self, call: Call) -> bool:
        """Whether ``call`` uses a prompt (else the drivers skip this layer)."""
        kind = KINDS.get(call.kind)  # (kind_of written out: every call asks)
        if kind is None or kind.prompt is None:
            return False
        if call.options.prompt_id is not None:
            return True
        body = call.request.get("extra_body")
        return isinstance(body, Mapping) and body.get("prompt_id") is not None

    def handle(self, call: Call) -> Flow:
        if not self.wants(call):
            result: Result = yield Forward(call)
            return result
        known: dict[str, Any] = {}
        try:  # registry reads (and recording a new template) are blocking I/O
            ready, log = yield Blocking(partial(self._plan, call, known))
        except PromptError as exc:  # logged with what was known (id, version) and the error
            return Result(error=exc, log=known)
        result = yield Forward(ready)
        result.log.update(log)
        if ready is not call:
            result.sent = ready  # the recorder logs the call as sent (rendered, model)
        return result

    # --- what to send -------------------------------------------------------------------------

    def _plan(self, call: Call, known: dict[str, Any]) -> tuple[Call, dict[str, Any]]:
        """The call to forward and its log columns; ``known`` gets the columns as soon as
        they are known, so a call that fails to render is logged with its version."""
        ask = _ask(call)
        own = list(call.params.get("messages") or ())
        wire, template, tagged = split_inputs(own)
        inputs = {**tagged, **ask.inputs}
        params = dict(call.params)
        if own:
            params["messages"] = wire
        auto = own and ask.version is None and ask.environment is None
        if auto and self._managed.get(ask.prompt_id) is None:
            recorded = self._auto_version(ask.prompt_id, template)
            if recorded != _MANAGED:
                if wire is own and ask.request is call.request:  # the seed's case: as it is
                    return call, _columns(ask.prompt_id, recorded, None, inputs)
                return self._ready(call, ask, params, (recorded, None), inputs)
        resolved = self._resolve(ask)
        choice = (resolved.version.version, resolved.environment)
        known.update(_columns(ask.prompt_id, *choice, inputs))
        compiled = self.registry.compiled(resolved.version)
        messages, stored = compiled.render(inputs)
        params = merge_params(resolved.version, messages, stored, params)
        shape = kind_of(call.kind).prompt  # type: ignore[union-attr]  # checked by wants
        return self._ready(call, ask, shape(params) if shape else params, choice, inputs)

    def _ready(
        self,
        call: Call,
        ask: _Ask,
        params: dict[str, Any],
        choice: tuple[int | None, str | None],
        inputs: Mapping[str, Any],
    ) -> tuple[Call, dict[str, Any]]:
        version, environment = choice
        changes: dict[str, Any] = {"params": params, "request": ask.request}
        model = str(params.get("model") or "")
        if model != call.model:
            changes["targets"] = self._resolve_targets(model, call.options)
            changes["target_index"] = 0
        return call.evolve(**changes), _columns(ask.prompt_id, version, environment, inputs)

    def _resolve(self, ask: _Ask) -> Resolved:
        try:
            return self.registry.resolve(ask.prompt_id, ask.version, ask.environment)
        except (StoreError, sqlite3.Error) as exc:
            raise PromptError(
                f"prompt {ask.prompt_id!r}: the prompt registry cannot be read ({exc})",
                "prompt_id",
                ask.prompt_id,
            ) from exc

    # --- recording templates of calls with their own messages --------------------------------

    def _auto_version(self, prompt_id: str, template: list[Any]) -> int | None:
        """The recorded version of these messages, ``_MANAGED`` if the registry manages the
        prompt, None if the store cannot be used (the call then goes out untracked).

        Hot path: the messages are compared with a private copy of the last ones seen for this
        prompt (plain ``==``, no serialising); hashing and the database are for changes only.
        """
        try:
            now = self._monotonic()
            cached = self._auto.get(prompt_id)
            fresh = cached is not None and now - cached.checked < self._recheck
            if fresh and cached is not None and template == cached.messages:
                return cached.version
            digest = content_hash(template, None, {})
            head = self.registry.head(prompt_id)
            if head is not None and head.source != AUTO:
                return self._now_managed(prompt_id)
            plain = jsonable(template, "messages")
            if cached is not None and cached.digest == digest:
                version = cached.version
            elif head is not None and head.template_hash == digest:
                version = head.latest
            else:
                version = self.registry.record_auto(prompt_id, plain, digest)
                if version is None:
                    return self._now_managed(prompt_id)
            self._auto.put(prompt_id, _Seen(plain, digest, version, now))
            return version
        except (StoreError, sqlite3.Error, PromptError, TypeError, ValueError) as exc:
            self._warn_once(prompt_id, exc)
            return None

    def _now_managed(self, prompt_id: str) -> int:
        """Remember that the registry manages ``prompt_id``: that never reverts (recorded
        versions are only added while the latest version is a recorded one)."""
        self._auto.pop(prompt_id)
        self._managed.put(prompt_id, True)
        return _MANAGED

    def _warn_once(self, prompt_id: str, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            _log.warning(
                "helicone_lite: could not record the template of prompt %r (%s: %s); calls go "
                "out untracked by version",
                prompt_id,
                type(exc).__name__,
                exc,
            )


def _ask(call: Call) -> _Ask:
    """Options and Helicone body fields, checked; the body fields removed from the request."""
    opts = call.options
    values: dict[str, Any] = {
        "prompt_id": opts.prompt_id,
        "prompt_version": opts.prompt_version,
        "prompt_environment": opts.prompt_environment,
        "prompt_inputs": opts.prompt_inputs,
    }
    request = call.request
    body = request.get("extra_body")
    if isinstance(body, Mapping) and any(name in body for name in BODY_FIELDS):
        for name, field in BODY_FIELDS.items():
            if body.get(name) is None:
                continue
            value = _parse_body_field(field, body[name], f"extra_body[{name!r}]")
            if values[field] is not None and values[field] != value:
                raise PromptError(
                    f"extra_body[{name!r}]: {value!r} contradicts {field}={values[field]!r} "
                    "given as a Helicone header or helicone= option",
                    f"extra_body[{name!r}]",
                    value,
                )
            values[field] = value
        rest = {k: v for k, v in body.items() if k not in BODY_FIELDS}
        request = {k: v for k, v in request.items() if k != "extra_body"}
        if rest:
            request["extra_body"] = rest
    env = values["prompt_environment"]
    return _Ask(
        prompt_id=check_prompt_id(values["prompt_id"]),
        version=values["prompt_version"],
        environment=None if env is None else check_environment(env, "prompt_environment"),
        inputs=values["prompt_inputs"] or {},
        request=request,
    )


def _parse_body_field(field: str, value: object, option: str) -> Any:
    if field == "prompt_id":
        return check_prompt_id(value, option)
    if field == "prompt_version":
        return check_version(value, option)
    if field == "prompt_environment":
        return check_environment(value, option)
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return MappingProxyType(dict(value))
    raise PromptError(
        f"{option}: expected an object mapping input names to values, got {value!r}",
        option,
        value,
        "an object of inputs",
    )
