"""Child processes for the multi-process tests: forked from multiprocessing's forkserver.

A test about several processes (two writers on one store, three "machines", racing rate
limits) needs separate processes, not fresh interpreters. Under the spawn start method every
child imported openai, helicone_lite and its layers again (≈ 0.8 s of CPU each, before its
first line of work); under fork it would copy the test process's threads and their locks. The
forkserver is a clean single-threaded process, one per pytest worker, that imports
``PRELOAD`` once and forks a child per ``Process``: each child is a new process with its own
connections, writer threads and pid, as under spawn, at the price of a fork.

``process`` gives the child the environment of the test that starts it (the forkserver keeps
the one it was started with), as spawn does.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

#: what a child imports anyway: the package, a client's first call (its layers, prices), the
#: stores' engines; a name that does not import is skipped by the forkserver
PRELOAD = [
    "helicone_lite",
    "helicone_lite.store",
    "helicone_lite.pipeline._layers",
    "helicone_lite.pipeline._runtime",
    "helicone_lite._endpoints",
    "helicone_lite._resources",
    "helicone_lite._prices",
    "helicone_lite.cache._layer",
    "helicone_lite.ratelimit._layer",
    "helicone_lite.retry",
    "helicone_lite.prompts._layer",
    "helicone_lite.security._layer",
    "helicone_lite.tokenlimit",
    "openai",
    "genai_prices.data",
    "redis",
    "psycopg",
]


def forkserver() -> ForkServerContext:
    """The forkserver context, its preload set (the server starts with the first child)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def process(
    ctx: ForkServerContext, target: Callable[..., object], args: tuple[Any, ...]
) -> BaseProcess:
    """``ctx.Process(target=target, args=args)`` run in the caller's current environment."""
    return ctx.Process(target=_in_env, args=(dict(os.environ), target, args))


def _in_env(env: dict[str, str], target: Callable[..., object], args: tuple[Any, ...]) -> None:
    os.environ.clear()
    os.environ.update(env)
    target(*args)
