"""Prompts as files: a readable JSON document per prompt, so prompts can live in git.

::

    {
      "format": "helicone-lite.prompt/1",
      "id": "triage",
      "description": "Urgency classifier",
      "version": 3,
      "model": "gpt-4o-mini",
      "params": {"max_tokens": 200, "temperature": 0.1},
      "messages": [
        {"role": "system", "content": "You are a triage assistant for {{hc:department:string}}."}
      ]
    }

``version`` is informational: importing creates a new version only when ``messages``,
``model`` or ``params`` differ from the prompt's latest version.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._errors import PromptError, PromptNotFoundError
from ._models import PromptVersion, thaw

if TYPE_CHECKING:
    from ._registry import PromptRegistry

__all__ = ["FORMAT", "dump_prompt", "export_prompt", "import_prompt", "load_prompt"]

FORMAT = "helicone-lite.prompt/1"
_FIELDS = ("format", "id", "description", "version", "model", "params", "messages")


def export_prompt(
    registry: PromptRegistry,
    prompt_id: str,
    version: int | None = None,
    environment: str | None = None,
) -> dict[str, Any]:
    """The file document of one version: ``version``, else ``environment``'s, else the latest."""
    if version is None and environment is None:
        version = registry.versions(prompt_id)[-1].version
    chosen = registry.get(prompt_id, version=version, environment=environment)
    description = next((p.description for p in registry.list() if p.id == chosen.prompt_id), None)
    return {
        "format": FORMAT,
        "id": chosen.prompt_id,
        "description": description,
        "version": chosen.version,
        "model": chosen.model,
        "params": thaw(chosen.params),
        "messages": thaw(chosen.messages),
    }


def dump_prompt(document: dict[str, Any]) -> str:
    """The document as text: indented JSON, keys in a fixed order, UTF-8 kept readable."""
    ordered = {k: document[k] for k in _FIELDS if k in document}
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def load_prompt(text: str, source: str = "prompt file") -> dict[str, Any]:
    """Parse and check a prompt document; PromptError saying what is wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PromptError(f"{source}: not JSON ({exc})", "file") from None
    if not isinstance(document, dict):
        raise PromptError(f"{source}: expected a JSON object", "file")
    if document.get("format", FORMAT) != FORMAT:
        raise PromptError(
            f"{source}: format {document.get('format')!r} is not {FORMAT!r}", "format"
        )
    for name, kind in (("id", str), ("messages", list)):
        if not isinstance(document.get(name), kind):
            raise PromptError(f"{source}: {name!r} is missing or not a {kind.__name__}", name)
    if not isinstance(document.get("params") or {}, dict):
        raise PromptError(f"{source}: 'params' must be an object", "params")
    return document


def import_prompt(registry: PromptRegistry, document: dict[str, Any]) -> tuple[PromptVersion, bool]:
    """Store a document: (the version it now is, whether a new version was created)."""
    pid = document["id"]
    model, params = document.get("model"), document.get("params") or {}
    description = document.get("description")
    try:
        latest = registry.versions(pid)[-1].version
    except PromptNotFoundError:
        version = registry._create(pid, document["messages"], model, params, "import", description)
        return version, True
    version = registry._update(
        pid, document["messages"], model, params, "import", description, merge=False
    )
    return version, version.version != latest
