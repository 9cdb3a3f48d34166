"""Prompt management: versioned Jinja2 templates in the store, environments, rollback, history.

>>> from helicone_lite import Store
>>> from helicone_lite.prompts import PromptRegistry
>>> registry = PromptRegistry(Store(path))                          # doctest: +SKIP

See docs/prompts.md. The per-call side is :mod:`helicone_lite.prompts._layer`.
"""

from ._errors import PromptError, PromptNotFoundError
from ._files import dump_prompt, export_prompt, import_prompt, load_prompt
from ._models import Deployment, Prompt, PromptVersion, Resolved, VersionStats
from ._registry import PRODUCTION, PromptRegistry

__all__ = [
    "PRODUCTION",
    "Deployment",
    "Prompt",
    "PromptError",
    "PromptNotFoundError",
    "PromptRegistry",
    "PromptVersion",
    "Resolved",
    "VersionStats",
    "dump_prompt",
    "export_prompt",
    "import_prompt",
    "load_prompt",
]
