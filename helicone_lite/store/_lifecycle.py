"""Process lifecycle: drain at exit, start afresh after fork.

Nothing here holds a strong reference to a Store, so stores can be garbage-collected:
``weakref.finalize`` (which runs at interpreter exit through ``atexit``, or when the store is
collected) calls the *writer's* shutdown, and the fork hooks look the store up through a
weak reference.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from typing import Protocol

__all__ = ["Forkable", "install_exit_drain", "install_fork_hooks"]


class Forkable(Protocol):
    def _before_fork(self) -> None: ...

    def _after_fork_parent(self) -> None: ...

    def _after_fork_child(self) -> None: ...


def install_exit_drain(owner: object, drain: Callable[[], object]) -> weakref.finalize[[], object]:
    """Call ``drain`` when ``owner`` is collected or the interpreter exits, whichever first.

    ``drain`` must not reference ``owner``. Processes started by ``multiprocessing`` end with
    ``os._exit`` (no ``atexit``), so the drain is also registered with multiprocessing's own
    exit finalizers when that module is in use.
    """
    finalizer = weakref.finalize(owner, drain)
    register_multiprocessing_drain(owner, drain)
    return finalizer


def register_multiprocessing_drain(owner: object, drain: Callable[[], object]) -> None:
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        mp_util.Finalize(owner, drain, exitpriority=0)


def install_fork_hooks(store: Forkable, drain: Callable[[], object]) -> None:
    """Run the store's fork hooks around every ``os.fork()`` while the store is alive."""
    if not hasattr(os, "register_at_fork"):
        return
    ref = weakref.ref(store)

    def before() -> None:
        target = ref()
        if target is not None:
            target._before_fork()

    def after_in_parent() -> None:
        target = ref()
        if target is not None:
            target._after_fork_parent()

    def after_in_child() -> None:
        target = ref()
        if target is not None:
            target._after_fork_child()
            _drain_in_multiprocessing_child(target, drain)

    os.register_at_fork(
        before=before, after_in_parent=after_in_parent, after_in_child=after_in_child
    )


def _drain_in_multiprocessing_child(store: object, drain: Callable[[], object]) -> None:
    # A multiprocessing fork child clears its finalizer registry when it starts, then runs
    # its "after fork" callbacks: register there, so its exit drains this child's rows.
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is None:
        return

    def register(owner: object) -> None:
        register_multiprocessing_drain(owner, drain)

    mp_util.register_after_fork(store, register)
