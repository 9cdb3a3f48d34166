"""The call machinery of the clients, imported with the first call and then kept.

``import helicone_lite`` must not load the pipeline (see ``_client.py``), so the clients import
it lazily; but an ``import`` statement inside a function costs several microseconds on every
call (``importlib``'s package resolution runs each time), which is most of the per-call budget
on a slow machine. :func:`machinery` imports once and hands out the same references after.
"""

from __future__ import annotations

from functools import cache

__all__ = ["Machinery", "machinery"]


class Machinery:
    """References to what every call uses, imported once."""

    def __init__(self) -> None:
        from ._endpoints import (
            asend_in_stack,
            inside_stack,
            sdk_send_options,
            send_in_stack,
            split_options,
        )
        from .pipeline._invoke import build_call, deliver, deliver_parts, hide_usage_chunk
        from .pipeline._stack import run_async, run_sync

        self.build_call = build_call
        self.deliver = deliver
        self.deliver_parts = deliver_parts
        self.hide_usage_chunk = hide_usage_chunk
        self.run_sync = run_sync
        self.run_async = run_async
        self.split_options = split_options
        self.inside_stack = inside_stack
        self.send_in_stack = send_in_stack
        self.asend_in_stack = asend_in_stack
        self.sdk_send_options = sdk_send_options


@cache
def machinery() -> Machinery:
    """The one :class:`Machinery` of the process (its imports happen on the first call)."""
    return Machinery()
