"""Reproducer: fork while the store's writer makes a process's first ``model_dump_json``.

pydantic-core initialises interned strings ("__dict__", "__pydantic_fields_set__") in
once-cells on first use, marking them "running" and releasing the GIL; a child forked then
keeps the cell "running" forever and hangs in its first model serialisation. Each trial forks
a fresh process (one that never serialised) from this one; it opens a Store, queues a row
whose ``response_body`` is the recorder's ``model_dump_json`` lambda and forks KIDS children
at once while two threads contend for the GIL. A child that cannot write and flush one row
within 10 s (SIGALRM) counts as hung. See docs/architecture.md (Store, "Fork").

    python scripts/fork_first_serialise.py 100 4     # trials, children per trial
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
from typing import Any

from openai.types.chat import ChatCompletion

from helicone_lite.store import Store

BODY = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}


def row(tag: str) -> dict[str, Any]:
    reply = ChatCompletion.model_validate(BODY)
    body = lambda: str(reply.model_dump_json(exclude_unset=True, by_alias=True))  # noqa: E731
    return {"model": "m", "status": 200, "user_id": tag, "response_body": body}


def trial(directory: str, kids: int) -> int:
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(200))

    for _ in range(2):
        threading.Thread(target=spin, daemon=True).start()
    store = Store(os.path.join(directory, "h.db"), group_wait=0)
    store.write("requests", row("parent"))  # the writer's first batch starts now
    pids = []
    for _ in range(kids):
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)
            store.write("requests", row("child"))
            os._exit(0 if store.flush(9) else 3)
        pids.append(pid)
    stop.set()
    hung = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0 for pid in pids)
    store.flush(30)
    return hung


def main(trials: int, kids: int) -> None:
    hung = hit = 0
    started = time.monotonic()
    for _ in range(trials):
        with tempfile.TemporaryDirectory() as directory:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # fresh: this process never serialised a model
                os.close(read)
                os.write(write, bytes([trial(directory, kids)]))
                os._exit(0)
            os.close(write)
            data = os.read(read, 1)
            os.close(read)
            os.waitpid(pid, 0)
            count = data[0] if data else kids
            hung, hit = hung + count, hit + (count > 0)
    seconds = time.monotonic() - started
    print(
        f"trials={trials} children={trials * kids} hung={hung} trials_with_hang={hit}"
        f" ({seconds:.0f} s, load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 4
    )
