"""The security layer: screens a call's user-controlled messages before any provider is called.

Which screening a call asks for (options, from headers):

- ``Helicone-LLM-Security-Enabled`` / ``Helicone-Prompt-Guard-Enabled``: prompt injection and
  jailbreak (the injection detector);
- ``Helicone-LLM-Security-Advanced`` (with ``-Enabled``): also the harmful-content categories
  (the harm detector);
- ``Helicone-Moderations-Enabled``: the provider's moderation endpoint.

A flagged call is refused locally with ``openai.BadRequestError`` (400, category and score in
the message and body; no provider call), or, with ``Client(security_mode="flag")``, passes;
either way the row records the verdict. Verdicts are cached per (detector, message hash).
A detector that cannot judge fails the call (fail closed).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import openai

from .._errors import OptionsError, status_error
from ..options import Options
from ..options._model import EMPTY
from ..pipeline._call import Blocking, Call, Forward, Result
from ..pipeline._stack import Flow
from ._classifier import PromptGuardClassifier, transformers_available
from ._detectors import LlmJudge, ModerationDetector
from ._verdict import Detector, ScanContext, Verdict, worst

if TYPE_CHECKING:
    from ..providers import ProviderRegistry

__all__ = ["Security", "SecurityNotConfigured", "user_texts"]

_USER_ROLES = frozenset({"user", "tool", "function"})
_CACHE_SIZE = 4096
_MODES = ("block", "flag")


class SecurityNotConfigured(OptionsError):
    """A call asks for screening that no detector can do (raised before any provider call)."""


def user_texts(params: Mapping[str, Any]) -> list[str]:
    """The texts of the user-controlled messages (user, tool and function roles)."""
    texts: list[str] = []
    for message in params.get("messages") or ():
        if not isinstance(message, Mapping) or message.get("role") not in _USER_ROLES:
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, Sequence):
            texts.extend(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, Mapping) and part.get("type") == "text"
            )
    return [t for t in texts if t.strip()]


def _wants(options: Options) -> tuple[bool, bool, bool]:
    """(injection, harm, moderation) screening asked for by the call's options."""
    enabled = bool(options.llm_security_enabled)
    injection = enabled or bool(options.prompt_guard_enabled)
    harm = bool(options.llm_security_advanced) and (enabled or bool(options.prompt_guard_enabled))
    return injection, harm, bool(options.moderations_enabled)


class Security:
    """Runs the detectors a call asks for; refuses or flags (see the module docstring)."""

    def __init__(
        self,
        registry: ProviderRegistry,
        *,
        mode: str = "block",
        detectors: Sequence[Detector] = (),
        judge_model: str | None = None,
        classifier: str | None = None,
        threshold: float = 0.5,
    ) -> None:
        if mode not in _MODES:
            raise OptionsError("security_mode", mode, " or ".join(_MODES))
        self._registry = registry
        self._mode: str = mode
        self._custom: tuple[Detector, ...] = tuple(detectors)
        self._judge_model: str | None = judge_model or None
        self._classifier_model = classifier if classifier and classifier.lower() != "none" else None
        self._threshold: float = threshold
        self._built: dict[str, Detector] = {}
        self._cache: OrderedDict[tuple[str, str], Verdict] = OrderedDict()
        self._lock = threading.Lock()
        self._twins: weakref.WeakKeyDictionary[Any, openai.OpenAI] = weakref.WeakKeyDictionary()

    # -- the flow ----------------------------------------------------------------------------
    def wants(self, call: Call) -> bool:
        """Whether ``call`` asks for screening (else the drivers skip this layer)."""
        # any(_wants(options)) without its tuple and generator (asked on every call): harm
        # screening needs injection's flags, so the three come down to these
        opts = call.options
        return call.kind == "chat.completions" and bool(
            opts.llm_security_enabled or opts.prompt_guard_enabled or opts.moderations_enabled
        )

    def handle(self, call: Call) -> Flow:
        detectors = self._detectors(call.options) if call.kind == "chat.completions" else []
        if not detectors:
            result: Result = yield Forward(call)
            return result
        # model calls, a local classifier: off the event loop for an AsyncClient (a worker thread)
        verdict: Verdict | None = yield Blocking(partial(self._screen_unlogged, call, detectors))
        log = _columns(verdict, self._mode)
        if verdict is not None and verdict.flagged and self._mode == "block":
            return Result(error=refusal(verdict), log={**log, "status": 400})
        result = yield Forward(call)
        result.log.update(log)
        if verdict is not None and verdict.flagged:
            result.headers["Helicone-Security-Flagged"] = verdict.category or "unsafe"
        return result

    # -- which detectors ------------------------------------------------------------------------
    def _detectors(self, options: Options) -> list[Detector]:
        injection, harm, moderation = _wants(options)
        chosen: list[Detector] = []
        if (injection or harm) and self._custom:
            chosen.extend(self._custom)
        else:
            if injection:
                chosen.append(self._injection_detector(options))
            if harm:
                chosen.append(self._harm_detector())
        if moderation:
            chosen.append(self._detector("moderation", ModerationDetector))
        return list(dict.fromkeys(chosen))  # one judge serving both asks runs once

    def _injection_detector(self, options: Options) -> Detector:
        if self._classifier_model is not None and transformers_available():
            model, threshold = self._classifier_model, self._threshold
            return self._detector(
                "classifier", lambda: PromptGuardClassifier(model, threshold=threshold)
            )
        if self._judge_model is not None:
            return self._judge()
        header = (
            "Helicone-LLM-Security-Enabled"
            if options.llm_security_enabled
            else "Helicone-Prompt-Guard-Enabled"
        )
        raise SecurityNotConfigured(
            header,
            "true",
            "a detector to run it: pip install 'helicone-lite[security]' (local classifier), "
            "or Client(security_judge_model='gpt-4o-mini'), or Client(security_detectors=[...])",
        )

    def _harm_detector(self) -> Detector:
        return (
            self._judge()
            if self._judge_model is not None
            else self._detector("moderation", ModerationDetector)
        )

    def _judge(self) -> Detector:
        model = self._judge_model
        assert model is not None
        return self._detector("judge", lambda: LlmJudge(model))

    def _detector(self, key: str, build: Any) -> Detector:
        with self._lock:
            found = self._built.get(key)
            if found is None:
                found = self._built[key] = build()
            return found

    # -- screening (blocking work, kept in small methods) -----------------------------------------
    def _screen_unlogged(self, call: Call, detectors: Sequence[Detector]) -> Verdict | None:
        """Screen ``call``; the judge and moderation requests made through the user's client
        are part of this call (its ``security_*`` columns), not rows of their own."""
        from .._endpoints import in_stack

        with in_stack():
            return self._screen(call, detectors)

    def _screen(self, call: Call, detectors: Sequence[Detector]) -> Verdict | None:
        context = ScanContext(
            complete=lambda model, messages: self._complete(call, model, messages),
            moderate=lambda texts, model: self._moderate(call, texts, model),
        )
        verdicts = [
            self._verdict(d, text, context) for text in user_texts(call.params) for d in detectors
        ]
        return worst(verdicts)

    def _verdict(self, detector: Detector, text: str, context: ScanContext) -> Verdict:
        key = (detector.name, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        verdict = detector.scan(text, context)
        with self._lock:
            self._cache[key] = verdict
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return verdict

    def _sync_origin(self, origin: Any) -> Any:
        """The user's client, or for an async client a sync twin with the same endpoint and key
        (the screen runs before the call, synchronously)."""
        if not isinstance(origin, openai.AsyncOpenAI):
            return origin
        with self._lock:
            twin = self._twins.get(origin)
            if twin is None:
                twin = openai.OpenAI(
                    api_key=origin.api_key or "",
                    base_url=origin.base_url,
                    organization=origin.organization,
                    project=origin.project,
                    max_retries=0,
                    _enforce_credentials=False,
                )
                twin.helicone_gateway = getattr(origin, "helicone_gateway", None)  # type: ignore[attr-defined]
                self._twins[origin] = twin
            return twin

    def _complete(self, call: Call, model: str, messages: Sequence[Mapping[str, Any]]) -> str:
        target = self._registry.target(model)
        judge = call.evolve(
            params={"model": model, "messages": list(messages), "temperature": 0, "max_tokens": 32},
            options=EMPTY,
            targets=(target,),
            target_index=0,
            request={},
            origin=self._sync_origin(call.origin),
        )
        self._registry.check(judge)
        from openai.types.chat import ChatCompletion

        response = target.adapter.send(judge).response
        if not isinstance(response, ChatCompletion):  # every adapter answers chat in its shape
            raise TypeError(f"the judge {model} answered {type(response).__name__}")
        return str(response.choices[0].message.content or "")

    def _moderate(self, call: Call, texts: Sequence[str], model: str) -> Any:
        origin = self._sync_origin(call.origin)
        gateway = getattr(origin, "helicone_gateway", None)
        if gateway is not None and not origin.api_key:
            from ..providers import ProviderNotConfigured

            raise ProviderNotConfigured(gateway.provider, model, "API key", gateway.key_env)
        return origin.moderations.create(model=model, input=list(texts))


def _columns(verdict: Verdict | None, mode: str) -> dict[str, Any]:
    if verdict is None:
        return {"security_verdict": "pass"}
    outcome = ("block" if mode == "block" else "flag") if verdict.flagged else "pass"
    return {
        "security_verdict": outcome,
        "security_category": verdict.category,
        "security_score": round(verdict.score, 6),
        "security_detector": verdict.detector,
    }


def refusal(verdict: Verdict) -> openai.BadRequestError:
    """The ``openai.BadRequestError`` of a call refused by a detector."""
    message = (
        f"helicone_lite security: request refused before reaching the provider: "
        f"{verdict.category} (score {verdict.score:.2f}, detector {verdict.detector})"
    )
    body = {
        "error": {
            "message": message,
            "type": "security_violation",
            "code": "prompt_flagged",
            "param": None,
            "category": verdict.category,
            "score": verdict.score,
            "detector": verdict.detector,
        }
    }
    headers = {"X-Helicone-Error": "security_flagged"}
    error = status_error(400, message, headers=headers, body=body)
    assert isinstance(error, openai.BadRequestError)
    return error
