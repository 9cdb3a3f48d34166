"""helicone_lite's threads block SIGTERM and SIGINT, so the kernel hands a signal sent to the
process to a thread whose sleep it interrupts (helicone_lite/_threads.py says why: a forked
pool worker once outlived ``Pool.terminate()``)."""

from __future__ import annotations

import asyncio
import signal
import threading
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

TASKS = Path("/proc/self/task")
PROCESS_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _blocked(native_id: int) -> set[int]:
    """The signals a thread of this process blocks (its SigBlk mask in /proc)."""
    status = (TASKS / str(native_id) / "status").read_text()
    mask = int(next(x for x in status.splitlines() if x.startswith("SigBlk:")).split()[1], 16)
    return {n for n in range(1, 65) if mask >> (n - 1) & 1}


@pytest.mark.skipif(not TASKS.is_dir(), reason="needs /proc/self/task (Linux)")
def test_every_helicone_lite_thread_leaves_process_signals_to_the_application(
    tmp_path: Path,
) -> None:
    masks: dict[str, set[int]] = {}

    def snapshot() -> None:
        for thread in threading.enumerate():
            if thread.name.startswith("helicone-lite") and thread.native_id is not None:
                masks[thread.name] = _blocked(thread.native_id)

    with FakeProvider() as fake:
        client = helicone_lite.AsyncClient(
            api_key="sk-test", base_url=fake.openai_base_url, home=tmp_path, retention_days=30
        )

        async def call() -> None:
            try:
                await client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": "hi"}],
                    extra_headers={"Helicone-Cache-Enabled": "true"},  # cache I/O off the loop
                )
                snapshot()
            finally:
                await client.close()

        asyncio.run(call())
    names = {name.split(":")[0].rstrip("_0123456789") for name in masks}
    assert {"helicone-lite-fake", "helicone-lite-io", "helicone-lite-writer"} <= names, names
    assert all(blocked >= PROCESS_SIGNALS for blocked in masks.values()), masks
    main = threading.main_thread().native_id
    assert main is not None and not PROCESS_SIGNALS & _blocked(main)
