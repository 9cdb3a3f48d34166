"""helicone_lite's background threads leave the process's signals to the application.

A signal sent to the process (``kill PID``, ``Pool.terminate()``, Ctrl-C) is delivered by the
kernel to any one thread that does not block it, and Python runs its handler in the main
thread only. Delivered to one of our threads while the main thread sleeps in a lock or a
semaphore (a ``multiprocessing`` pool worker waiting for its next task), the handler never
runs: the main thread is not woken (the likely cause of a forked pool worker, with the store's
SIGTERM drain installed, outliving ``Pool.terminate()``, which then waited for it). Every thread
helicone_lite starts blocks SIGTERM and SIGINT, so they go to a thread that can act on them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

__all__ = ["background_thread", "leave_signals_to_others"]

_PROCESS_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT") if hasattr(signal, name)
)


def leave_signals_to_others() -> None:
    """Block SIGTERM and SIGINT in the calling thread (one of helicone_lite's own)."""
    if hasattr(signal, "pthread_sigmask") and _PROCESS_SIGNALS:
        signal.pthread_sigmask(signal.SIG_BLOCK, _PROCESS_SIGNALS)


def background_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """A daemon thread named ``name`` that runs ``target`` with the process signals blocked."""

    def run() -> None:
        leave_signals_to_others()
        target()

    return threading.Thread(target=run, name=name, daemon=True)
