"""Process lifecycle: drain at exit and on SIGTERM, start afresh after fork.

Nothing here holds a strong reference to a Store, so stores can be garbage-collected:
``weakref.finalize`` (which runs at interpreter exit through ``atexit``, or when the store is
collected) calls the *writer's* shutdown, and the fork hooks look the store up through a
weak reference.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Protocol

__all__ = ["Forkable", "install_exit_drain", "install_fork_hooks", "install_sigterm_drain"]

Drain = Callable[[], object]


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


def install_sigterm_drain(owner: object, drain: Drain) -> bool:
    """Drain ``owner``'s writer when the process gets SIGTERM, then die of SIGTERM as before.

    Installed only when SIGTERM has its default disposition or is already handled by this
    function (for another store): an application's own handler, or an ignored SIGTERM, is
    left alone (its exit path runs the normal exit drain). Only possible from the main
    thread. The handler keeps weak references and chains: each store's handler drains every
    live store that installed one, then restores the default disposition and re-sends the
    signal, so the process still ends "killed by SIGTERM". Returns whether it installed.
    """
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return False
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:
        return False
    chained: tuple[Callable[[], Drain | None], ...] = getattr(previous, "_helicone_drains", ())
    if previous is not signal.SIG_DFL and not chained:
        return False
    drains = (*(ref for ref in chained if ref() is not None), _weak_drain(owner, drain))

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        for ref in drains:
            target = ref()
            if target is not None:
                with contextlib.suppress(Exception):  # best effort; dying is not optional
                    target()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    on_sigterm._helicone_drains = drains  # type: ignore[attr-defined]
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError):
        return False
    return True


def _weak_drain(owner: object, drain: Drain) -> Callable[[], Drain | None]:
    """A callable returning ``drain`` while ``owner`` is alive, else None."""
    ref = weakref.ref(owner)

    def get() -> Drain | None:
        return drain if ref() is not None else None

    return get
