"""The ``helicone-lite`` command line.

Each sub-command lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` (a function taking the parsed arguments and returning an exit code). The
modules are listed once, in ``COMMANDS``. ``--home`` is accepted before or after any command
(added here to every sub-parser), and errors are one line on stderr: bad input exits 2, a
store or backend that fails (no store, locked, Redis down) exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from collections.abc import Callable, Sequence

from .._inert import safe_text

__all__ = ["COMMANDS", "main"]

#: sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "helicone_lite.cli.demo",
    "helicone_lite.cli.info",
    "helicone_lite.cli.requests",
    "helicone_lite.cli.query",
    "helicone_lite.cli.cache",
    "helicone_lite.cli.limits",
    "helicone_lite.cli.prompts",
    "helicone_lite.cli.sessions",
    "helicone_lite.cli.users",
    "helicone_lite.cli.threats",
    "helicone_lite.cli.properties",
    "helicone_lite.cli.costs",
    "helicone_lite.cli.reprice",
    "helicone_lite.cli.scores",
    "helicone_lite.cli.alerts",
    "helicone_lite.cli.export",
    "helicone_lite.cli.retention",
    "helicone_lite.cli.fake_provider",
    "helicone_lite.cli.migrate",
    "helicone_lite.cli.dashboard",
)

_HOME_HELP = "the helicone_lite home (default: $HELICONE_LITE_HOME or the data dir)"
_MAX_MESSAGE = 400


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helicone-lite",
        description="Inspect and control helicone_lite's local LLM request log.",
    )
    parser.add_argument("--home", help=_HOME_HELP)
    parser.add_argument(
        "--database-url",
        help="the store: a postgresql:// URL or a SQLite path"
        " (default: $HELICONE_LITE_DATABASE_URL, else <home>/helicone.db)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    _home_everywhere(parser)
    return parser


def _home_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give every sub-parser (at any depth) a ``--home`` that overrides the one before it."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in {id(p): p for p in action.choices.values()}.values():
            if "--home" not in sub._option_string_actions:
                sub.add_argument("--home", default=argparse.SUPPRESS, help=_HOME_HELP)
            _home_everywhere(sub)


def main(
    argv: Sequence[str] | None = None, *, clock: Callable[[], float] = time.time
) -> int:
    """Entry point of the ``helicone-lite`` console script.

    ``clock`` (epoch seconds) is what the commands take as "now" (``--since 7d``, the buckets'
    refill, ``--older-than``): injectable so tests never read the real time.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.clock = clock
    # the library's warnings (e.g. "store unusable") would repeat the one-line error below
    library = logging.getLogger("helicone_lite")
    if not any(isinstance(h, logging.NullHandler) for h in library.handlers):
        library.addHandler(logging.NullHandler())
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:
        status, message = _explain(exc, args)
        if status is None:
            raise
        print(f"helicone-lite {args.command}: {message}", file=sys.stderr)
        return status
    return code


def _explain(exc: Exception, args: argparse.Namespace) -> tuple[int | None, str]:
    """(exit status, one-line message) for the errors a command may meet; None: a bug."""
    from .._errors import OptionsError
    from ..ratelimit import BackendError
    from ..store import StoreError
    from ._common import CliError, redis_url_of

    message = safe_text(str(exc))[:_MAX_MESSAGE]
    if isinstance(exc, CliError):
        return exc.status, message
    if isinstance(exc, (OptionsError, ValueError)):
        return 2, message
    if isinstance(exc, (StoreError, BackendError, OSError)):
        return 1, message
    if type(exc).__module__.startswith("redis"):
        from ..cache._redis import redacted_url

        url = redacted_url(redis_url_of(args) or "redis")
        return 1, f"redis {safe_text(url)} failed: {message or type(exc).__name__}"
    return None, message


def _silence_stdout() -> None:
    """After a closed pipe (``| head``), make the interpreter's final flush quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
