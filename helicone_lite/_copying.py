"""What a helicone_lite client passes to its SDK's ``copy``/``with_options``: the copy shares the
runtime (store, caches, limiters), keeps the defaults plus any ``helicone=`` given to the copy,
and keeps ``max_retries`` for the retry layer (the SDK copy itself runs with none). Shared by the
OpenAI-shaped clients and the native ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .options import Options

__all__ = ["copy_kwargs"]


def copy_kwargs(
    runtime: object,  # passed through untouched: the copy shares it
    defaults: Options,
    max_retries: int,
    kwargs: dict[str, Any],
    **more: object,
) -> dict[str, Any]:
    """``kwargs`` for the SDK's ``copy``, with helicone_lite's state in ``_extra_kwargs``
    (``more``: further private entries, e.g. the gateway of an OpenAI-shaped client)."""
    from .options._parse import parse_kwargs

    extra = dict(kwargs.pop("_extra_kwargs", None) or {})
    extra["_helicone_runtime"] = runtime
    extra["_helicone_defaults"] = defaults.merge(parse_kwargs(kwargs.pop("helicone", None)))
    retries = kwargs.pop("max_retries", None)
    extra["_helicone_max_retries"] = retries if isinstance(retries, int) else max_retries
    extra.update(more)
    kwargs["_extra_kwargs"] = extra
    return kwargs
