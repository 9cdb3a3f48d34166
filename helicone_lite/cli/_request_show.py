"""``helicone-lite requests show ID``: one request in full.

The summary (model, status, tokens, cost, latency, user, session, prompt, cache reference,
properties), the options it was called with, the attempts and the fallback path, the scores,
then the messages as a thread and the answer. Every stored string is printed through
``safe_text`` (one escaped line per line of text). ``--json`` prints one object with the
bodies parsed.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import CliError, open_store, store_path
from ._output import Column, Output, safe_text

__all__ = ["find_request", "show"]

_ATTEMPTS = (
    Column("attempt", kind="number"),
    Column("target_index", "target", kind="number"),
    Column("provider"),
    Column("model"),
    Column("status", kind="number"),
    Column("latency_ms", "ms", kind="number", fmt=lambda v: "" if v is None else f"{v:.0f}"),
    Column("wait_ms", "wait ms", kind="number", fmt=lambda v: "" if v is None else f"{v:.0f}"),
    Column("error"),
)


def find_request(store: Any, prefix: str, where: str) -> dict[str, Any]:
    """The request whose id is ``prefix`` or starts with it; CliError when none or several."""
    if not prefix:
        raise CliError("give a request id (or a unique prefix of one)", status=2)
    rows: list[dict[str, Any]] = store.query(
        "SELECT * FROM requests WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
        [prefix, prefix + "\U0010ffff"],
    )
    exact = [r for r in rows if r["id"] == prefix]
    if exact:
        return exact[0]
    if not rows:
        raise CliError(f"no request {safe_text(prefix)!r} in {where}", status=2)
    if len(rows) > 1:
        raise CliError(
            f"{safe_text(prefix)!r} is the start of several request ids; give more of it",
            status=2,
        )
    return rows[0]


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _details(store: Any, row: dict[str, Any]) -> dict[str, Any]:
    rid = row["id"]
    full = {
        k: _json(v)
        if k in ("request_body", "response_body", "reply_headers", "properties", "prompt_inputs")
        else v
        for k, v in row.items()
    }
    full["attempts"] = store.query(
        "SELECT attempt, target_index, provider, model, status, error, latency_ms, wait_ms "
        "FROM attempts WHERE request_id = ? ORDER BY attempt",
        [rid],
    )
    full["scores"] = {
        s["name"]: s["value"]
        for s in store.query("SELECT name, value FROM scores WHERE request_id = ?", [rid])
    }
    return full


def show(args: argparse.Namespace) -> int:
    store = open_store(args)
    row = find_request(store, args.request_id, str(store_path(args)))
    full = _details(store, row)
    out = Output.from_args(args)
    if out.mode == "json":
        out.json(full)
        return 0
    out.pairs(_summary(full), title=f"request {full['id']}")
    _options(out, full)
    if full["attempts"]:
        out.line()
        out.line("attempts (fallback path: " + _path(full["attempts"]) + ")")
        out.rows(_ATTEMPTS, full["attempts"])
    _thread(out, full)
    return 0


def _summary(r: dict[str, Any]) -> list[tuple[str, Any]]:
    answered = r.get("response_model")
    model = r.get("model") or ""
    if answered and answered != model:
        model += f" (answered by {answered})"
    cache = r.get("cache_status") or ""
    if r.get("cache_reference_id"):
        cache += f" (served from {r['cache_reference_id']})"
    prompt = r.get("prompt_id")
    if prompt:
        prompt += f" v{r.get('prompt_version')}" if r.get("prompt_version") else ""
        prompt += f" ({r['prompt_environment']})" if r.get("prompt_environment") else ""
    tokens = f"{r.get('prompt_tokens') or 0} in, {r.get('completion_tokens') or 0} out"
    if r.get("cached_tokens"):
        tokens += f", {r['cached_tokens']} cached"
    latency = "" if r.get("latency_ms") is None else f"{r['latency_ms']:.0f} ms"
    if r.get("ttft_ms") is not None:
        latency += f" (first token {r['ttft_ms']:.0f} ms)"
    items: list[tuple[str, Any]] = [
        ("id", r["id"]),
        ("time", r.get("created_at")),
        ("kind", r.get("kind")),
        ("provider", r.get("provider")),
        ("model", model),
        ("status", r.get("status")),
        ("error", r.get("error")),
        ("stream", "yes" if r.get("stream") else "no"),
        ("tokens", tokens),
        ("cost", "unknown" if r.get("cost_usd") is None else f"${r['cost_usd']:.6f}"),
        ("latency", latency),
        ("cache", cache),
        ("user", r.get("user_id")),
        (
            "session",
            " ".join(
                filter(None, (r.get("session_id"), r.get("session_path"), r.get("session_name")))
            ),
        ),
        ("prompt", prompt),
        ("properties", ", ".join(f"{k}={v}" for k, v in (r.get("properties") or {}).items())),
        ("scores", ", ".join(f"{k}={v:g}" for k, v in r["scores"].items() if v is not None)),
        ("attempts", len(r["attempts"]) or None),
    ]
    return [(k, v) for k, v in items if v not in (None, "")]


def _options(out: Output, r: dict[str, Any]) -> None:
    body = r.get("request_body")
    if not isinstance(body, dict):
        return
    params = {k: v for k, v in body.items() if k not in ("messages", "input", "contents")}
    if params:
        out.line()
        out.line("options")
        out.pairs(sorted(params.items()))


def _path(attempts: list[dict[str, Any]]) -> str:
    steps = []
    for a in attempts:
        target = "/".join(str(x) for x in (a.get("provider"), a.get("model")) if x)
        steps.append(f"{target} {a.get('status') or a.get('error') or '?'}")
    return " → ".join(steps)


def _thread(out: Output, r: dict[str, Any]) -> None:
    body = r.get("request_body")
    messages = body.get("messages") if isinstance(body, dict) else None
    if isinstance(messages, list):
        out.line()
        out.line("messages")
        for message in messages:
            if isinstance(message, dict):
                _message(out, str(message.get("role") or "?"), message.get("content"), message)
    answer = r.get("response_body")
    choices = answer.get("choices") if isinstance(answer, dict) else None
    out.line()
    out.line("answer")
    if isinstance(choices, list) and choices:
        for choice in choices:
            message = choice.get("message") or choice.get("delta") or {}
            _message(out, str(message.get("role") or "assistant"), message.get("content"), message)
    elif answer is not None:
        _block(out, answer if isinstance(answer, str) else json.dumps(answer, indent=2))
    else:
        out.line("  (none)")


def _message(out: Output, role: str, content: Any, message: dict[str, Any]) -> None:
    out.line(f"  [{safe_text(role)}]")
    if isinstance(content, list):  # content parts
        texts = [
            p.get("text") if isinstance(p, dict) and "text" in p else json.dumps(p) for p in content
        ]
        content = "\n".join(str(t) for t in texts)
    if content:
        _block(out, str(content))
    for call in message.get("tool_calls") or ():
        function = (call.get("function") or {}) if isinstance(call, dict) else {}
        _block(out, f"tool call {function.get('name')}({function.get('arguments')})")


def _block(out: Output, text: str) -> None:
    for line in text.splitlines() or [""]:
        out.line("    " + safe_text(line))
