"""``helicone-lite fake-provider [--port P]``: the test provider, for another process.

Runs :class:`helicone_lite.testing.FakeProvider` (OpenAI, Anthropic and Gemini wire
protocols on loopback) in the foreground until Ctrl-C, after printing the ``export`` lines
that point the SDKs (and so ``helicone_lite.Client()``) at it::

    eval "$(helicone-lite fake-provider --port 8765 &)"   # or copy the lines it prints
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from typing import Any

from .._errors import OptionsError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-provider",
        help="run the fake LLM provider on loopback and print its export lines (Ctrl-C stops)",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..testing import FakeProvider

    if not 0 <= args.port <= 65535:
        raise OptionsError("--port", args.port, "0 (any free port) to 65535")
    fake = FakeProvider(port=args.port)
    try:
        fake.start()
    except OSError as exc:
        raise OSError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    try:
        for name, value in fake.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# fake provider at {fake.url}; Ctrl-C stops it", file=sys.stderr)
        sys.stdout.flush()
        threading.Event().wait()  # until KeyboardInterrupt (main turns it into 130)
    finally:
        fake.stop()
    return 0  # pragma: no cover - the wait above only ends with an exception
