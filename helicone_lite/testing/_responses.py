"""The OpenAI Responses wire protocol: ``POST /v1/responses`` (JSON, or server-sent events with
``stream: true``), ``background``, ``previous_response_id``, and the stored-response routes
(``GET``/``DELETE /responses/{id}``, ``POST /responses/{id}/cancel``,
``GET /responses/{id}/input_items``).

Created responses are kept in the fake's memory (one per :class:`FakeProvider`), so a later
``retrieve`` or a ``previous_response_id`` finds them. A ``background`` response is answered
``queued``; retrieving it once completes it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ._openai import error_body, headers
from ._outcomes import Reply
from ._reply import Completion, Prompt, join_text, resolve, split
from ._schema import structured_reply
from ._wire import (
    Answer,
    Exchange,
    Protocol,
    WireError,
    json_answer,
    route,
    sse_answer,
    sse_data,
    texts_of,
)

__all__ = ["PROTOCOL"]

_TEXT_KINDS = ("text", "input_text", "output_text")


def _item_texts(item: Any) -> tuple[list[str], bool]:
    """(text pieces of one input item, whether it is a user message)."""
    if isinstance(item, str):
        return [item], True
    if not isinstance(item, dict):
        raise WireError(400, "each input item must be an object")
    if item.get("type") == "function_call_output":
        output = item.get("output")
        return ([output] if isinstance(output, str) else texts_of(output, kinds=_TEXT_KINDS)), False
    pieces = texts_of(item.get("content"), kinds=_TEXT_KINDS)
    return pieces, item.get("role") == "user"


def _prompt(body: dict[str, Any], memory: MutableMapping[str, Any]) -> Prompt:
    value = body.get("input")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise WireError(400, "'input' must be a string or a list of input items")
    texts: list[str] = []
    previous = body.get("previous_response_id")
    if previous is not None:
        stored = memory.get(f"response:{previous}")
        if stored is None:
            raise WireError(404, f"Previous response with id '{previous}' not found.")
        texts.extend(stored["_texts"])
    if isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    last_user = ""
    for item in items:
        pieces, user = _item_texts(item)
        texts.extend(pieces)
        if user:
            last_user = join_text(pieces)
    return Prompt(tuple(texts), last_user)


def usage(done: Completion, reasoning: int) -> dict[str, Any]:
    return {
        "input_tokens": done.prompt_tokens,
        "input_tokens_details": {
            "cached_tokens": done.cached_tokens,
            "cache_write_tokens": done.cache_creation_tokens,
        },
        "output_tokens": done.completion_tokens + reasoning,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": done.total_tokens + reasoning,
    }


def _output(ex: Exchange, done: Completion) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if done.text is not None:
        part = {"type": "output_text", "text": done.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "id": f"msg_fake{ex.seq}",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [part],
            }
        )
    for i, call in enumerate(done.tool_calls):
        items.append(
            {
                "id": f"fc_fake{ex.seq}_{i}",
                "type": "function_call",
                "call_id": call.id or f"call_fake{ex.seq}_{i}",
                "name": call.name,
                "arguments": call.arguments_json,
                "status": "completed",
            }
        )
    return items


def _response(ex: Exchange, done: Completion, status: str) -> dict[str, Any]:
    body = ex.body
    reasoning = ex.reply.reasoning_tokens if ex.reply is not None else 0
    completed = status == "completed"
    return {
        "id": f"resp_fake{ex.seq}",
        "object": "response",
        "created_at": float(ex.created),
        "status": status,
        "background": bool(body.get("background")),
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "model": done.model,
        "output": _output(ex, done) if completed else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage(done, reasoning) if completed else None,
        "user": body.get("user"),
    }


def _structured(body: dict[str, Any], reply: Reply | None, prompt: Prompt) -> Reply | None:
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") != "json_schema":
        return reply
    return structured_reply(fmt.get("schema"), reply, prompt)


def create(ex: Exchange) -> Answer:
    body = ex.body
    model = ex.require_model()
    prompt = _prompt(body, ex.memory)
    done = resolve(_structured(body, ex.reply, prompt), prompt, model)
    background = bool(body.get("background"))
    response = _response(ex, done, "queued" if background else "completed")
    if body.get("store", True) is not False:
        full = _response(ex, done, "completed")
        ex.memory[f"response:{response['id']}"] = {
            "response": response if background else full,
            "completed": full,
            "input": _input_items(body, ex.seq),
            "_texts": [*prompt.texts, *([done.text] if done.text else [])],
        }
    if body.get("stream"):
        return sse_answer(_stream(ex, done, response))
    return json_answer(response)


def _input_items(body: dict[str, Any], seq: int) -> list[dict[str, Any]]:
    value = body.get("input")
    items = [{"role": "user", "content": value}] if isinstance(value, str) else list(value or [])
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        if isinstance(content, str):
            content = [{"type": "input_text", "text": content}]
        out.append(
            {
                "id": f"msg_in{seq}_{i}",
                "type": "message",
                "status": "completed",
                **item,
                "content": content,
            }
            if "role" in item
            else {"id": f"item_in{seq}_{i}", **item}
        )
    return out


class _Events:
    """Numbers the events of one stream (``sequence_number`` from 0)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def add(self, kind: str, **fields: Any) -> None:
        event = {"type": kind, "sequence_number": len(self.frames), **fields}
        self.frames.append(sse_data(event, event=kind))


def _stream(ex: Exchange, done: Completion, final: dict[str, Any]) -> list[bytes]:
    events = _Events()
    start = {**final, "status": "in_progress", "output": [], "usage": None}
    events.add("response.created", response=start)
    events.add("response.in_progress", response=start)
    for index, item in enumerate(final["output"] or _output(ex, done)):
        if item["type"] == "message":
            _message_events(events, index, item, done.chunk_size)
        else:
            _call_events(events, index, item, done.chunk_size)
    events.add("response.completed", response=final)
    return events.frames


def _message_events(events: _Events, index: int, item: dict[str, Any], size: int) -> None:
    item_id, text = item["id"], item["content"][0]["text"]
    events.add(
        "response.output_item.added",
        output_index=index,
        item={**item, "status": "in_progress", "content": []},
    )
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    where = {"item_id": item_id, "output_index": index, "content_index": 0}
    events.add("response.content_part.added", part=empty, **where)
    for piece in split(text, size):
        events.add("response.output_text.delta", delta=piece, logprobs=[], **where)
    events.add("response.output_text.done", text=text, logprobs=[], **where)
    events.add("response.content_part.done", part=item["content"][0], **where)
    events.add("response.output_item.done", output_index=index, item=item)


def _call_events(events: _Events, index: int, item: dict[str, Any], size: int) -> None:
    events.add(
        "response.output_item.added",
        output_index=index,
        item={**item, "arguments": "", "status": "in_progress"},
    )
    where = {"item_id": item["id"], "output_index": index}
    for piece in split(item["arguments"], size):
        events.add("response.function_call_arguments.delta", delta=piece, **where)
    events.add(
        "response.function_call_arguments.done",
        arguments=item["arguments"],
        name=item["name"],
        **where,
    )
    events.add("response.output_item.done", output_index=index, item=item)


def _stored(ex: Exchange) -> dict[str, Any]:
    response_id = ex.params["response_id"]
    stored = ex.memory.get(f"response:{response_id}")
    if stored is None:
        raise WireError(404, f"No response found with id '{response_id}'.")
    return stored  # type: ignore[no-any-return]


def retrieve(ex: Exchange) -> Answer:
    stored = _stored(ex)
    current = stored["response"]
    if current["status"] in ("queued", "in_progress"):
        stored["response"] = stored["completed"]  # a background response completes when polled
    return json_answer(current if current["status"] != "queued" else stored["response"])


def cancel(ex: Exchange) -> Answer:
    stored = _stored(ex)
    if not stored["response"].get("background"):
        raise WireError(400, "Only background responses can be cancelled.")
    stored["response"] = {**stored["response"], "status": "cancelled", "output": []}
    return json_answer(stored["response"])


def delete(ex: Exchange) -> Answer:
    _stored(ex)
    ex.memory.pop(f"response:{ex.params['response_id']}", None)
    rid = ex.params["response_id"]
    return json_answer({"id": rid, "object": "response.deleted", "deleted": True})


def input_items(ex: Exchange) -> Answer:
    items = _stored(ex)["input"]
    return json_answer(
        {
            "object": "list",
            "data": items,
            "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None,
            "has_more": False,
        }
    )


_ID = "(?P<response_id>[^/]+)"

PROTOCOL = Protocol(
    name="openai",
    routes=(
        route("POST (?:/v1)?/responses", "responses", create, inference=True),
        route(f"GET (?:/v1)?/responses/{_ID}", "responses.retrieve", retrieve),
        route(f"DELETE (?:/v1)?/responses/{_ID}", "responses.delete", delete),
        route(f"POST (?:/v1)?/responses/{_ID}/cancel", "responses.cancel", cancel),
        route(f"GET (?:/v1)?/responses/{_ID}/input_items", "responses.input_items", input_items),
    ),
    error_body=error_body,
    headers=headers,
)
