"""Templates: Jinja2 in a sandbox, plus Helicone's typed ``{{hc:name:type}}`` variables.

Template text is user data. It is compiled by a :class:`~jinja2.sandbox.SandboxedEnvironment`
(no access to ``_``-prefixed attributes, so no ``__class__``/``__globals__`` walks; unsafe
callables refused), with no loader (``{% include %}``, ``{% import %}``, ``{% extends %}`` are
rejected when the template is stored), ``StrictUndefined`` (a missing input is an error, never
an empty string), autoescape off (prompts are not HTML), and the bounds of :mod:`._bounds`
(output size, loop and macro steps, time, and every operator, filter and method that can build
a big string or number), so a template cannot exhaust memory or hang a call.

``{{hc:name:type}}`` is rewritten to a Jinja expression that reads a pre-checked, pre-formatted
value, so an input's *value* is never parsed as template text. Types, as in Helicone:
``string`` (any scalar), ``number`` (a number or a numeric string), ``boolean`` (a bool or
true/false/yes/no); any other type name accepts any value.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ._bounds import Budget, bound_environment, check_binop, check_call, metered
from ._bounds import rewrite as bounded
from ._errors import PromptError, short
from ._models import thaw

__all__ = [
    "HC_VARIABLE",
    "TextTemplate",
    "coerce_input",
    "compile_literal",
    "compile_text",
    "new_sandbox",
    "render_text",
]

HC_VARIABLE = re.compile(
    r"\{\{\s*hc\s*:\s*([A-Za-z_-][A-Za-z0-9_-]*)\s*:\s*([A-Za-z_-][A-Za-z0-9_-]*)\s*\}\}"
)
#: the context name under which checked ``{{hc:…}}`` values are passed to Jinja.
HC_NAMESPACE = "__hc__"
_MARKS = ("{{", "{%", "{#")
_FORBIDDEN = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with operators and ``str`` methods checked against the bounds."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _finalize(value: Any) -> Any:
    """How values print: booleans as JSON does, containers as JSON (prompts are not Python)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(thaw(value), ensure_ascii=False, default=str)
    return value


def new_sandbox() -> SandboxedEnvironment:
    """The one kind of Jinja environment prompts are compiled in (no loader: no files)."""
    env = _Sandbox(
        loader=None,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    bound_environment(env)
    return env


@dataclass(frozen=True, slots=True)
class TextTemplate:
    """One compiled template string; ``hc`` maps its ``{{hc:…}}`` names to their types;
    ``whole`` is the name when the text is exactly one ``{{hc:…}}`` (JSON values then take
    the input's typed value, as in Helicone)."""

    source: str
    where: str
    template: Template
    hc: Mapping[str, str]
    plain: frozenset[str]
    whole: str | None


def compile_text(
    env: SandboxedEnvironment, text: str, label: str, where: str
) -> TextTemplate | str:
    """Compile ``text``; plain text (no ``{{``, ``{%``, ``{#``) is returned as it is.

    Raises PromptError for a syntax error, an include/import/extends, or a ``{{hc:…}}`` name
    given two different types.
    """
    if not any(mark in text for mark in _MARKS):
        return text
    hc: dict[str, str] = {}

    def rewrite(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2).lower()
        if hc.setdefault(name, kind) != kind:
            raise PromptError(
                f"{label}: {where}: input {name!r} is declared as {hc[name]} and as {kind}",
                "messages",
            )
        return "{{ " + HC_NAMESPACE + "[" + json.dumps(name) + "] }}"

    converted = HC_VARIABLE.sub(rewrite, text)
    try:
        ast = env.parse(converted)
    except TemplateSyntaxError as exc:
        raise PromptError(
            f"{label}: {where}: template syntax error on line {exc.lineno}: {exc.message}",
            "messages",
            short(text),
        ) from None
    for node in ast.find_all(_FORBIDDEN):
        tag = type(node).__name__.lower().replace("fromimport", "from … import")
        raise PromptError(
            f"{label}: {where}: {{% {tag} %}} is not allowed: prompt templates cannot load "
            "other templates",
            "messages",
            short(text),
        )
    plain = meta.find_undeclared_variables(ast) - {HC_NAMESPACE} - set(env.globals)
    whole = match.group(1) if (match := HC_VARIABLE.fullmatch(text.strip())) else None
    return TextTemplate(text, where, env.from_string(bounded(ast)), hc, frozenset(plain), whole)


class _Literal:
    """Text used as it is but for its ``{{hc:…}}`` variables (versions auto-recorded from
    calls: end-user text, never run as a template). Quacks like a compiled ``Template``."""

    __slots__ = ("_pieces",)

    def __init__(self, pieces: list[tuple[bool, str]]) -> None:
        self._pieces = pieces  # (is a variable, literal text or variable name)

    def generate(self, context: Mapping[str, Any]) -> Iterator[str]:
        values = context[HC_NAMESPACE]
        for variable, piece in self._pieces:
            yield str(values[piece]) if variable else piece


def compile_literal(text: str, label: str, where: str) -> TextTemplate | str:
    """``text`` as literal text, with only its ``{{hc:name:type}}`` variables filled in."""
    pieces: list[tuple[bool, str]] = []
    hc: dict[str, str] = {}
    done = 0
    for match in HC_VARIABLE.finditer(text):
        name, kind = match.group(1), match.group(2).lower()
        if hc.setdefault(name, kind) != kind:
            raise PromptError(
                f"{label}: {where}: input {name!r} is declared as {hc[name]} and as {kind}",
                "messages",
            )
        pieces += [(False, text[done : match.start()]), (True, name)]
        done = match.end()
    if not hc:
        return text
    pieces.append((False, text[done:]))
    alone = HC_VARIABLE.fullmatch(text.strip())
    whole = alone.group(1) if alone else None
    template: Any = _Literal(pieces)
    return TextTemplate(text, where, template, hc, frozenset(), whole)


def coerce_input(name: str, kind: str, value: object, label: str) -> tuple[str, Any]:
    """Check an input against its ``{{hc:name:kind}}`` type: (text to print, typed value)."""
    typed: Any = value
    ok = value is not None
    if kind == "number":
        typed, ok = _as_number(value)
    elif kind == "boolean":
        typed = _BOOLEANS.get(value.strip().lower()) if isinstance(value, str) else value
        ok = isinstance(typed, bool)
    elif kind == "string":
        ok = isinstance(value, (str, int, float)) and not (
            isinstance(value, float) and not math.isfinite(value)
        )
    if not ok:
        raise PromptError(
            f"{label}: input {name!r} must be a {kind} ({{{{hc:{name}:{kind}}}}}), "
            f"got {short(value)} ({type(value).__name__})",
            "prompt_inputs",
            value,
            f"a {kind}",
        )
    return str(_finalize(typed)), typed


def _as_number(value: object) -> tuple[Any, bool]:
    if isinstance(value, bool):
        return value, False
    if isinstance(value, (int, float)):
        return value, math.isfinite(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value, False
        if not math.isfinite(number):
            return value, False
        return (int(number) if number.is_integer() and "." not in value else number), True
    return value, False


def render_text(
    template: TextTemplate,
    context: Mapping[str, Any],
    label: str,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Render one compiled text within the bounds of :mod:`._bounds` (``clock`` times it);
    every failure becomes a PromptError naming prompt and place."""
    where = template.where
    try:
        return metered(lambda: template.template.generate(context), Budget(clock))
    except UndefinedError as exc:
        missing = _UNDEFINED_NAME.match(str(exc.message or ""))
        if missing:
            given = ", ".join(sorted(k for k in context if k != HC_NAMESPACE)) or "none"
            raise PromptError(
                f"{label}: missing input {missing.group(1)!r} (used in {where}; inputs given: "
                f"{given})",
                "prompt_inputs",
                missing.group(1),
                "every variable the template uses",
            ) from None
        raise PromptError(f"{label}: {where}: {exc.message}", "prompt_inputs") from None
    except SecurityError as exc:
        raise PromptError(
            f"{label}: {where}: refused by the template sandbox: {exc}", "messages"
        ) from None
    except (TemplateError, Exception) as exc:
        raise PromptError(
            f"{label}: {where}: template failed: {type(exc).__name__}: {exc}", "messages"
        ) from None
