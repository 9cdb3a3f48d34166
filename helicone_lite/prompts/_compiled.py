"""A prompt version compiled once: its message and parameter templates, ready to render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from ._errors import PromptError
from ._models import thaw
from ._template import (
    HC_NAMESPACE,
    TextTemplate,
    coerce_input,
    compile_literal,
    compile_text,
    render_text,
)

__all__ = ["TEMPLATED_PARAMS", "CompiledPrompt"]

#: stored parameters whose strings are templates too (as in Helicone: tool schemas and the
#: response format may use variables; a string that is exactly ``{{hc:n:number}}`` there takes
#: the input's typed value).
TEMPLATED_PARAMS = frozenset({"tools", "response_format"})


class CompiledPrompt:
    """Messages and parameters of one version with every template string compiled.

    >>> from helicone_lite.prompts._template import new_sandbox
    >>> p = CompiledPrompt(new_sandbox(), "demo", [{"role": "user", "content": "Hi {{ name }}"}])
    >>> p.render({"name": "Ada"})[0]
    [{'role': 'user', 'content': 'Hi Ada'}]
    """

    def __init__(
        self,
        env: SandboxedEnvironment,
        label: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any] | None = None,
        *,
        literal: bool = False,
    ) -> None:
        self.label = label
        #: text is used as it is, never compiled (versions auto-recorded from calls)
        self.literal = literal
        self._templates: list[TextTemplate] = []
        self._env = env
        self._messages = [self._message(i, m) for i, m in enumerate(messages)]
        self._params = {
            name: self._tree(value, f"params.{name}") if name in TEMPLATED_PARAMS else thaw(value)
            for name, value in (params or {}).items()
        }
        self.hc: dict[str, str] = {}
        for template in self._templates:
            for name, kind in template.hc.items():
                if self.hc.setdefault(name, kind) != kind:
                    raise PromptError(
                        f"{label}: input {name!r} is declared as {self.hc[name]} and as {kind}",
                        "messages",
                    )

    @property
    def variables(self) -> dict[str, str]:
        """Every input the templates use: its ``{{hc:…}}`` type, or ``any``."""
        found = {name: "any" for t in self._templates for name in t.plain}
        found.update(self.hc)
        return dict(sorted(found.items()))

    def _compile(self, text: str, where: str) -> TextTemplate | str:
        if self.literal:
            compiled = compile_literal(text, self.label, where)
        else:
            compiled = compile_text(self._env, text, self.label, where)
        if isinstance(compiled, TextTemplate):
            self._templates.append(compiled)
        return compiled

    def _message(self, index: int, message: Mapping[str, Any]) -> dict[str, Any]:
        out = thaw(message)
        content = out.get("content")
        where = f"messages[{index}]"
        if isinstance(content, str):
            out["content"] = self._compile(content, f"{where}.content")
        elif isinstance(content, list):
            for j, part in enumerate(content):
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and part.get("type") == "text":
                    part["text"] = self._compile(part["text"], f"{where}.content[{j}].text")
        return out  # type: ignore[no-any-return]

    def _tree(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self._compile(value, where)
        if isinstance(value, Mapping):
            return {k: self._tree(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._tree(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def render(self, inputs: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(messages, params) with every template rendered; PromptError on a missing input, a
        wrongly typed one, or a template that fails."""
        missing = [name for name in self.hc if inputs.get(name) is None]
        if missing:
            names = ", ".join(repr(n) for n in missing)
            given = ", ".join(sorted(inputs)) or "none"
            raise PromptError(
                f"{self.label}: missing input{'s' if len(missing) > 1 else ''} {names} "
                f"(inputs given: {given})",
                "prompt_inputs",
                missing[0],
                "every variable the template uses",
            )
        texts: dict[str, str] = {}
        typed: dict[str, Any] = {}
        for name, kind in self.hc.items():
            texts[name], typed[name] = coerce_input(name, kind, inputs[name], self.label)
        context = {**inputs, HC_NAMESPACE: texts}
        messages = [self._render(m, context, typed, False) for m in self._messages]
        params = {k: self._render(v, context, typed, True) for k, v in self._params.items()}
        return messages, params

    def _render(self, node: Any, context: dict[str, Any], typed: dict[str, Any], json: bool) -> Any:
        if isinstance(node, TextTemplate):
            if json and node.whole is not None:
                return typed[node.whole]
            return render_text(node, context, self.label)
        if isinstance(node, dict):
            return {k: self._render(v, context, typed, json) for k, v in node.items()}
        if isinstance(node, list):
            return [self._render(v, context, typed, json) for v in node]
        return node
