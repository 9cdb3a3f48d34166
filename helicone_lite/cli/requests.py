"""``helicone-lite requests``: the most recent calls as a readable table."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import open_store, print_rows

__all__ = ["register"]

_SQL = """
SELECT created_at, id, provider, model, status, cache_status, prompt_tokens,
       completion_tokens, cost_usd, latency_ms, ttft_ms, user_id, session_id, session_path,
       error
FROM requests {where} ORDER BY created_at DESC LIMIT ?
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("requests", help="recent calls: time, model, status, cost…")
    parser.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    parser.add_argument("--user", help="only this user")
    parser.add_argument("--session", help="only this session")
    parser.add_argument("--model", help="only this model")
    parser.add_argument("--errors", action="store_true", help="only failed calls")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--json", dest="format", action="store_const", const="json")
    parser.set_defaults(handler=run)


def _where(args: argparse.Namespace) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, value in (
        ("user_id", args.user),
        ("session_id", args.session),
        ("model", args.model),
    ):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if args.errors:
        clauses.append("status != 200")
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    cost = row.get("cost_usd")
    tokens = f"{row.get('prompt_tokens') or 0}→{row.get('completion_tokens') or 0}"
    session = row.get("session_id")
    return {
        "time": (row.get("created_at") or "").replace("T", " ")[:19],
        "model": row.get("model"),
        "status": row.get("status") if row.get("cache_status") != "HIT" else "200 HIT",
        "tokens": tokens,
        "cost": "—" if cost is None else f"${cost:.6f}",
        "latency": "" if row.get("latency_ms") is None else f"{row['latency_ms']:.0f} ms",
        "user": row.get("user_id") or "",
        "session": f"{session[:8]} {row.get('session_path') or ''}" if session else "",
    }


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    where, params = _where(args)
    rows = store.query(_SQL.format(where=where), [*params, args.limit])
    if args.format == "table":
        print_rows([_readable(r) for r in rows], title="Recent requests")
    else:
        print_rows(rows, args.format)
    return 0
