"""A racing process for test_race.py: its own Client, several threads, one shared home/Redis.

Runs in a child forked from multiprocessing's forkserver (tests/processes.py).
"""

from __future__ import annotations

import threading
from typing import Any

import openai

import helicone_lite

FROZEN = 1_750_000_000.0


def frozen_clock() -> float:
    """No refill while the race runs: exactly the quota can be admitted."""
    return FROZEN


def race(
    base_url: str,
    home: str,
    redis_url: str | None,
    headers: dict[str, str],
    params: dict[str, Any],
    threads: int,
    calls: int,
    go: Any,
    out: Any,
) -> None:
    """Each thread makes ``calls`` calls once ``go`` is set; put the number admitted on ``out``."""
    client = helicone_lite.Client(
        api_key="sk-test", base_url=base_url, home=home, redis_url=redis_url, clock=frozen_clock
    )
    admitted: list[int] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(threads)

    def run() -> None:
        ready.wait()
        go.wait()
        n = 0
        for _ in range(calls):
            try:
                client.chat.completions.create(extra_headers=headers, **params)
                n += 1
            except openai.RateLimitError:
                pass
            except BaseException as exc:
                errors.append(exc)
        admitted.append(n)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    client.close()
    out.put(repr(errors[0]) if errors else sum(admitted))
