"""Drawing report rows with ``rich``: session trees, tables with cost bars, time series.

Stored strings are made inert (``safe_text``) and only ever placed in ``rich.text.Text``
(never parsed as markup). The CLI prints its tables itself (``cli/_output.py``).

Imported only when something is drawn (``SessionTree.to_rich()``, the CLI), so
``import helicone_lite`` never imports rich.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .._inert import safe_text
from ._rows import CacheSavings, CostBucket, GroupRow, PropertyName, ScoreRow, SessionRow, UserRow
from ._tree import SessionNode, SessionRequest, SessionTree

__all__ = [
    "bar",
    "cache_text",
    "costs_table",
    "duration",
    "group_table",
    "money",
    "names_table",
    "scores_table",
    "session_tree",
    "sessions_table",
    "users_table",
]

_BLOCKS = " ▏▎▍▌▋▊▉█"


def money(value: float | None) -> str:
    """``$12.34``, ``$0.0123``, ``$0.000150``, ``$0``; ``—`` for unknown."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if abs(value) >= 0.01:
        return f"${value:.4f}"
    return f"${value:.6f}"


def duration(ms: float | None) -> str:
    """``850 ms``, ``2.3 s``, ``4 min 12 s``."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(ms / 1000, 60)
    return f"{minutes:.0f} min {seconds:.0f} s"


def percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def bar(value: float, top: float, width: int = 18) -> Text:
    """A horizontal bar of ``value`` against ``top`` in eighths of a cell."""
    if top <= 0 or value <= 0:
        return Text("")
    eighths = round(min(value / top, 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return Text("█" * full + (_BLOCKS[part] if part else ""), style="cyan")


def _time(stamp: str | None) -> str:
    return (stamp or "").replace("T", " ")[:19]


def _scores(scores: Mapping[str, Any]) -> str:
    shown = []
    for name, value in scores.items():
        label = "feedback" if name == "helicone-score-feedback" else safe_text(name)
        if isinstance(value, bool):
            shown.append(f"{label} {'👍' if value else '👎'}")
        elif isinstance(value, float) and not value.is_integer():
            shown.append(f"{label} {value:.2f}")
        else:
            shown.append(f"{label} {value:g}")
    return "  ".join(shown)


# --- sessions ---


def _node_label(node: SessionNode) -> Text:
    text = Text(safe_text(node.path), style="bold")
    text.append(
        f"  {node.request_count} req  {money(node.cost_usd)}  {node.tokens:,} tok  "
        f"{duration(node.latency_ms)}",
        style="dim",
    )
    if node.errors:
        text.append(f"  ✗ {node.errors}", style="red")
    if node.scores:
        text.append(f"  {_scores(node.scores)}", style="magenta")
    return text


def _request_label(request: SessionRequest) -> Text:
    status = "HIT" if request.cache_status == "HIT" else str(request.status or "—")
    text = Text(safe_text(request.id), style="cyan")
    text.append(f"  {_time(request.created_at)[11:]}  ", style="dim")
    text.append(safe_text(request.model or "?"), style="green")
    text.append(f"  {status}", style="red" if request.failed else "")
    text.append(
        f"  {request.prompt_tokens or 0}→{request.completion_tokens or 0} tok  "
        f"{money(request.cost_usd)}  {duration(request.latency_ms)}",
        style="dim",
    )
    if request.scores:
        text.append(f"  {_scores(request.scores)}", style="magenta")
    return text


def _add(branch: Tree, node: SessionNode) -> None:
    items: list[tuple[str, Any]] = [(r.created_at, r) for r in node.requests]
    items += [(c.first_at or "", c) for c in node.children]
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, SessionNode):
            _add(branch.add(_node_label(item)), item)
        else:
            branch.add(_request_label(item))


def session_tree(tree: SessionTree) -> Tree:
    """The session as a ``rich`` tree: path nodes with their subtree totals, requests as
    leaves (siblings in time order)."""
    title = Text(f"session {safe_text(tree.session_id)}", style="bold cyan")
    if tree.name:
        title.append(f"  “{safe_text(tree.name)}”", style="bold")
    title.append(
        f"  {tree.requests} requests  {money(tree.cost_usd)}  {duration(tree.duration_ms)}",
        style="dim",
    )
    if tree.users:
        title.append(f"  user {safe_text(', '.join(tree.users))}", style="dim")
    if tree.scores:
        title.append(f"  {_scores(tree.scores)}", style="magenta")
    root = Tree(title)
    _add(root, tree.root)
    return root


def sessions_table(rows: Sequence[SessionRow], title: str = "Sessions") -> Table:
    table = _table(
        title,
        "session",
        "name",
        "requests",
        "cost",
        "tokens",
        "duration",
        "errors",
        "last",
        "users",
        "feedback",
    )
    for r in rows:
        table.add_row(
            r.session_id,
            r.name or "",
            str(r.requests),
            money(r.cost_usd),
            f"{r.tokens:,}",
            duration(r.duration_ms),
            _errors(r.errors),
            _time(r.last_at),
            ", ".join(r.users),
            _scores(r.scores),
        )
    return table


# --- grouped reports ---


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        numeric = column in (
            "requests",
            "cost",
            "tokens",
            "errors",
            "avg",
            "p95",
            "hits",
            "n",
            "mean",
            "min",
            "max",
            "values",
            "saved",
        )
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    return table


def _errors(count: int) -> Text:
    return Text(str(count), style="red" if count else "")


def _key(key: str | None) -> str:
    return "(none)" if key is None else key


def group_table(rows: Sequence[GroupRow], title: str) -> Table:
    """Models, providers or property values: figures and a cost bar."""
    top = max((r.cost_usd for r in rows), default=0.0)
    table = _table(
        title,
        rows[0].dimension if rows else "key",
        "requests",
        "cost",
        "",
        "tokens",
        "avg",
        "errors",
        "cache",
        "scores",
    )
    for r in rows:
        label = f"{_key(r.key)} ({r.provider})" if r.provider else _key(r.key)
        table.add_row(
            label,
            f"{r.requests:,}",
            money(r.cost_usd),
            bar(r.cost_usd, top),
            f"{r.tokens:,}",
            duration(r.avg_latency_ms),
            _errors(r.errors),
            percent(r.cache_hit_rate),
            _scores(r.scores),
        )
    return table


def users_table(rows: Sequence[UserRow], title: str = "Users") -> Table:
    top = max((r.cost_usd for r in rows), default=0.0)
    table = _table(
        title,
        "user",
        "requests",
        "cost",
        "",
        "tokens",
        "avg",
        "p95",
        "errors",
        "cache",
        "first seen",
        "last seen",
        "scores",
    )
    for r in rows:
        table.add_row(
            _key(r.user_id),
            f"{r.requests:,}",
            money(r.cost_usd),
            bar(r.cost_usd, top),
            f"{r.tokens:,}",
            duration(r.avg_latency_ms),
            duration(r.p95_latency_ms),
            percent(r.error_rate),
            percent(r.cache_hit_rate),
            _time(r.first_seen),
            _time(r.last_seen),
            _scores(r.scores),
        )
    return table


def names_table(rows: Sequence[PropertyName]) -> Table:
    table = _table("Properties", "property", "requests", "values")
    for r in rows:
        table.add_row(r.name, f"{r.requests:,}", f"{r.values:,}")
    return table


def costs_table(rows: Sequence[CostBucket], title: str) -> Table:
    """A time series: one line per bucket (and group), with a cost bar."""
    top = max((r.cost_usd for r in rows), default=0.0)
    grouped = any(r.key is not None for r in rows)
    columns = ["bucket", *(["group"] if grouped else []), "requests", "cost", "", "tokens"]
    table = _table(title, *columns)
    previous = None
    for r in rows:
        start = _time(r.start) if r.start != previous else ""
        previous = r.start
        cells: list[Any] = [start, *([_key(r.key)] if grouped else [])]
        cells += [f"{r.requests:,}", money(r.cost_usd), bar(r.cost_usd, top), f"{r.tokens:,}"]
        table.add_row(*cells)
    return table


def scores_table(rows: Sequence[ScoreRow], title: str) -> Table:
    table = _table(
        title, rows[0].dimension if rows else "group", "score", "n", "mean", "min", "max", ""
    )
    for r in rows:
        label = "feedback" if r.name == "helicone-score-feedback" else r.name
        top = 1.0 if r.max <= 1 and r.min >= 0 else max(r.max, 1.0)
        table.add_row(
            _key(r.key),
            label,
            str(r.count),
            f"{r.mean:.3g}",
            f"{r.min:g}",
            f"{r.max:g}",
            bar(r.mean, top, 12),
        )
    return table


def cache_text(savings: CacheSavings) -> Text:
    """One line: hits, hit rate and what they saved."""
    text = Text("cache: ", style="bold")
    text.append(
        f"{savings.hits:,} hits of {savings.requests:,} requests ({percent(savings.hit_rate)})"
        f", saved {money(savings.saved_usd)} and {savings.saved_tokens:,} tokens"
    )
    if savings.unpriced_hits:
        text.append(f" ({savings.unpriced_hits:,} hits of unpriced requests)", style="dim")
    return text
