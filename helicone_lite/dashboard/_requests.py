"""Requests: the sortable, paged table; one request as a chat thread; feedback and scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .._errors import OptionsError
from ..reports import REQUEST_SORTS, feedback, score
from ._web import csrf_ok, page, params_of, render, state_of

__all__ = ["request_detail", "request_feedback", "request_score", "requests_list", "thread_of"]

_PER_PAGE = (25, 50, 100, 200)


def _int(text: str | None, default: int, option: str) -> int:
    if not text:
        return default
    if not text.isdigit():
        raise OptionsError(option, text, "a whole number")
    return int(text)


@page
def requests_list(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    query = request.query_params
    sort = query.get("sort") or "time"
    descending = (query.get("dir") or "desc") != "asc"
    per_page = _int(query.get("per"), 50, "per")
    if per_page not in _PER_PAGE:
        raise OptionsError("per", per_page, ", ".join(map(str, _PER_PAGE)))
    result = state.reports().requests(
        params.filters,
        sort=sort,
        descending=descending,
        page=_int(query.get("page"), 1, "page"),
        per_page=per_page,
    )
    extra = {"sort": sort, "dir": "desc" if descending else "asc", "per": per_page}
    context = {
        "title": "Requests",
        "params": params,
        "result": result,
        "sorts": list(REQUEST_SORTS),
        "extra": extra,
    }
    return render(request, "requests.html", context)


def _text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, Mapping):
                parts.append(str(part.get("text") or f"[{part.get('type', 'part')}]"))
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return str(content)


def thread_of(body: Any, response: Any) -> list[dict[str, Any]]:
    """The conversation of a logged request: its messages, then the answer's choices.

    Each item: ``role``, ``text``, ``tool_calls`` (name and arguments), ``tool_call_id``.
    """
    out: list[dict[str, Any]] = []
    messages = body.get("messages") if isinstance(body, Mapping) else None
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, Mapping):
            out.append(_message(message, answer=False))
    choices = response.get("choices") if isinstance(response, Mapping) else None
    for choice in choices if isinstance(choices, list) else []:
        message = choice.get("message") if isinstance(choice, Mapping) else None
        if isinstance(message, Mapping):
            out.append(_message(message, answer=True))
    return out


def _message(message: Mapping[str, Any], *, answer: bool) -> dict[str, Any]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, Mapping) else {}
        calls.append(
            {"name": str(function.get("name", "")), "arguments": str(function.get("arguments", ""))}
        )
    return {
        "role": str(message.get("role") or "assistant"),
        "text": _text(message.get("content")),
        "tool_calls": calls,
        "tool_call_id": message.get("tool_call_id"),
        "answer": answer,
    }


_OPTION_COLUMNS = (
    "kind",
    "stream",
    "user_id",
    "session_id",
    "session_path",
    "session_name",
    "prompt_id",
    "prompt_version",
    "prompt_environment",
    "cache_status",
    "cache_seed",
    "cache_bucket_idx",
    "attempts",
    "fallback_index",
    "rate_limited",
)


@page
def request_detail(request: Request) -> Response:
    state = state_of(request)
    detail = state.reports().request(request.path_params["request_id"])
    row = detail.row
    body = row.get("request_body")
    context = {
        "title": "Request",
        "detail": detail,
        "row": row,
        "thread": thread_of(body, row.get("response_body")),
        "options": [(c, row.get(c)) for c in _OPTION_COLUMNS if row.get(c) not in (None, "", 0)],
        "parameters": {k: v for k, v in body.items() if k != "messages"}
        if isinstance(body, Mapping)
        else {},
        "flash": request.query_params.get("saved"),
    }
    return render(request, "request.html", context)


def _back(request_id: str, note: str) -> Response:
    return RedirectResponse(f"/requests/{quote(request_id, safe='')}?saved={note}", status_code=303)


async def request_feedback(request: Request) -> Response:
    """POST: thumbs up/down, stored as ``client.feedback`` stores it."""
    form = await request.form()
    if not csrf_ok(request, form):
        return Response("CSRF token missing or wrong", status_code=403)
    request_id = request.path_params["request_id"]
    rating = form.get("rating")
    if rating not in ("up", "down"):
        return Response("rating must be 'up' or 'down'", status_code=400)
    state = state_of(request)
    if not state.exists():
        return Response("no store yet", status_code=404)
    try:
        feedback(state.writer(), request_id, rating == "up", clock=state.clock)
    except ValueError as exc:
        return Response(f"feedback not stored: {exc}", status_code=404)
    return _back(request_id, "feedback")


async def request_score(request: Request) -> Response:
    """POST: one named score (a number, or true/false), stored as ``client.score`` does."""
    form = await request.form()
    if not csrf_ok(request, form):
        return Response("CSRF token missing or wrong", status_code=403)
    request_id = request.path_params["request_id"]
    name = str(form.get("name") or "").strip()
    state = state_of(request)
    if not state.exists():
        return Response("no store yet", status_code=404)
    try:
        value = _score_value(str(form.get("value") or "").strip())
        score(state.writer(), request_id, {name: value}, clock=state.clock)
    except (OptionsError, ValueError) as exc:
        return Response(f"score not stored: {exc}", status_code=400)
    return _back(request_id, "score")


def _score_value(text: str) -> int | float | bool:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise OptionsError("value", text, "a number, true or false") from None
