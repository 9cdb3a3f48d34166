"""``helicone-lite dashboard``: serve the dashboard (helicone_lite.dashboard) with uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import sys
from typing import Any

from ..store._engine import describe_url
from ._common import database_of, home_of

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dashboard",
        help="the dashboard in your browser: requests, sessions, users, costs, prompts, …",
        description="Serve the dashboard over the store: the home's file, or --database-url"
        " (a postgresql:// URL shared by several machines). Loopback only unless --host.",
    )
    parser.add_argument("--home", default=argparse.SUPPRESS, help="the helicone_lite home")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default: 8787)")
    parser.add_argument(
        "--token", help="require this token (generated and printed for a non-loopback --host)"
    )
    parser.add_argument("--open", action="store_true", help="open the dashboard in a browser")
    parser.set_defaults(handler=run)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..dashboard import create_app
    except ImportError as exc:
        print(
            f"helicone-lite dashboard: {exc.name} is missing; "
            "install it with: pip install 'helicone-lite[dashboard]'",
            file=sys.stderr,
        )
        return 2
    token = args.token
    if token is None and not _loopback(args.host):
        token = secrets.token_urlsafe(24)
    home = home_of(args)
    database = database_of(args)  # --database-url / $HELICONE_LITE_DATABASE_URL, else the home's
    app = create_app(home=home, database_url=str(database), token=token)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    where = describe_url(database) if isinstance(database, str) and "://" in database else database
    print(f"helicone_lite dashboard for {where}")
    print(f"  open {url}   (Ctrl+C to stop)")
    if args.open:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
