"""Prompts: ids, versions, environments and history, a diff, per-version figures, and the
registry's write operations (new version, deploy, roll back) — the same calls as the API."""

from __future__ import annotations

import difflib
import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .._errors import OptionsError
from ..prompts import PRODUCTION, PromptError, PromptVersion
from ._web import csrf_ok, page, render, state_of

__all__ = ["prompt_action", "prompt_detail", "prompts_list"]


@page
def prompts_list(request: Request) -> Response:
    prompts = state_of(request).prompts().list()
    context = {"title": "Prompts", "prompts": prompts, "error": request.query_params.get("error")}
    return render(request, "prompts.html", context)


def _lines(version: PromptVersion) -> list[str]:
    """A version as readable lines (what the diff compares)."""
    lines = [f"model: {version.model or '(from the call)'}"]
    data = version.to_dict()
    for name, value in sorted(data["params"].items()):
        lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    for index, message in enumerate(data["messages"]):
        lines.append(f"--- messages[{index}] ({message.get('role')})")
        content = message.get("content")
        if isinstance(content, str):
            lines.extend(content.splitlines() or [""])
        else:
            lines.append(json.dumps(content, ensure_ascii=False))
    return lines


def _diff(old: PromptVersion, new: PromptVersion) -> list[tuple[str, str]]:
    """``(kind, line)`` pairs: kind is add, del, hunk or same."""
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _version_number(text: str | None, default: int) -> int:
    if not text:
        return default
    if not text.isdigit():
        raise OptionsError("version", text, "a version number")
    return int(text)


@page
def prompt_detail(request: Request) -> Response:
    state = state_of(request)
    registry = state.prompts()
    pid = request.path_params["prompt_id"]
    versions = registry.versions(pid)
    latest = versions[-1]
    listed = {p.id: p for p in registry.list()}
    query = request.query_params
    new = _version_number(query.get("b"), latest.version)
    old = _version_number(query.get("a"), max(1, new - 1))
    by_number = {v.version: v for v in versions}
    if old not in by_number or new not in by_number:
        raise OptionsError("version", f"{old}/{new}", f"versions 1 to {latest.version}")
    context: dict[str, Any] = {
        "title": f"Prompt {pid}",
        "prompt": listed.get(pid),
        "versions": list(reversed(versions)),
        "latest": latest,
        "stats": {s.version: s for s in registry.stats(pid)},
        "history": list(reversed(registry.history(pid))),
        "a": old,
        "b": new,
        "diff": _diff(by_number[old], by_number[new]),
        "editor": json.dumps(latest.to_dict()["messages"], indent=2, ensure_ascii=False),
        "production": PRODUCTION,
        "error": query.get("error"),
        "saved": query.get("saved"),
    }
    return render(request, "prompt.html", context)


def _messages(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise OptionsError("messages", text[:60], f"a JSON list of messages ({exc})") from None
    if not isinstance(value, list):
        raise OptionsError("messages", text[:60], "a JSON list of messages")
    return value


async def prompt_action(request: Request) -> Response:
    """POST ``/prompts/{id}/{action}``: ``version`` (new version from the editor), ``deploy``,
    ``rollback``; ``/prompts/new/create`` creates a prompt. Errors come back on the page."""
    form = await request.form()
    if not csrf_ok(request, form):
        return Response("CSRF token missing or wrong", status_code=403)
    state = state_of(request)
    if not state.exists():
        return Response("no store yet", status_code=404)
    action = request.path_params["action"]
    pid = request.path_params["prompt_id"]
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        pid, note = _apply(state.prompt_writer(), action, pid, fields)
    except PromptError as exc:
        return _back(pid if action != "create" else None, error=str(exc))
    except OptionsError as exc:
        return _back(pid if action != "create" else None, error=str(exc))
    return _back(pid, saved=note)


def _apply(registry: Any, action: str, pid: str, form: dict[str, str]) -> tuple[str, str]:
    model = form.get("model", "").strip() or None
    env = form.get("environment", "").strip() or PRODUCTION
    if action == "create":
        pid = form.get("prompt_id", "").strip()
        created = registry.create(pid, _messages(form.get("messages", "")), model)
        return created.prompt_id, f"created version {created.version}"
    if action == "version":
        made = registry.update(pid, messages=_messages(form.get("messages", "")), model=model)
        return pid, f"version {made.version} saved"
    if action == "deploy":
        number = _version_number(form.get("version"), 0)
        move = registry.deploy(pid, number, env)
        return pid, f"version {move.to_version} deployed to {move.environment}"
    if action == "rollback":
        move = registry.rollback(pid, env)
        return pid, f"{move.environment} rolled back to version {move.to_version}"
    raise OptionsError("action", action, "create, version, deploy, rollback")


def _back(pid: str | None, **note: str) -> Response:
    where = f"/prompts/{quote(pid, safe='')}" if pid else "/prompts"
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in note.items())
    return RedirectResponse(f"{where}?{query}", status_code=303)
