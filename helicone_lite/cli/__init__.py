"""The ``helicone-lite`` command line.

Each sub-command lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` (a function taking the parsed arguments and returning an exit code). The
modules are listed once, in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

#: sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "helicone_lite.cli.demo",
    "helicone_lite.cli.requests",
    "helicone_lite.cli.query",
    "helicone_lite.cli.cache",
    "helicone_lite.cli.limits",
    "helicone_lite.cli.prompts",
    "helicone_lite.cli.sessions",
    "helicone_lite.cli.users",
    "helicone_lite.cli.properties",
    "helicone_lite.cli.costs",
    "helicone_lite.cli.scores",
    "helicone_lite.cli.alerts",
    "helicone_lite.cli.export",
    "helicone_lite.cli.dashboard",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helicone-lite",
        description="Inspect and control helicone_lite's local LLM request log.",
    )
    parser.add_argument(
        "--home", help="the helicone_lite home (default: $HELICONE_LITE_HOME or the data dir)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``helicone-lite`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
