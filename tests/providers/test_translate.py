"""Pure translation: the cases the wire tests cannot reach (no fake-server fault produces them)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import openai
import pytest

import helicone_lite
from helicone_lite.providers import _anthropic_translate as claude
from helicone_lite.providers import _gemini_translate as gemini


def test_anthropic_error_event_inside_a_stream_keeps_its_meaning() -> None:
    request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")
    response = httpx2.Response(200, request=request)
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    sdk_error = anthropic.APIStatusError("Overloaded", response=response, body=body)
    mapped = claude.error(sdk_error)
    assert isinstance(mapped, openai.InternalServerError) and mapped.status_code == 529
    assert "Overloaded" in str(mapped)


def test_other_exceptions_pass_through() -> None:
    error = KeyError("x")
    assert claude.error(error) is error and gemini.error(error) is error


def test_anthropic_merges_consecutive_turns_and_tool_results() -> None:
    body = claude.request(
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "user", "content": "b"},
                {
                    "role": "assistant",
                    "content": "calling",
                    "tool_calls": [
                        {
                            "id": "t1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        },
                        {
                            "id": "t2",
                            "type": "function",
                            "function": {"name": "g", "arguments": "{}"},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "t1", "content": "1"},
                {"role": "tool", "tool_call_id": "t2", "content": [{"type": "text", "text": "2"}]},
                {"role": "user", "content": "go on"},
            ]
        },
        "claude-x",
    )
    assert [turn["role"] for turn in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]
    assert [block["type"] for block in body["messages"][2]["content"]] == [
        "tool_result",
        "tool_result",
        "text",
    ]


@pytest.mark.parametrize(
    ("arguments", "ok"), [("{}", True), ('{"a": 1}', True), ("[1]", False), ("{oops", False)]
)
def test_tool_call_arguments_must_be_a_json_object(arguments: str, ok: bool) -> None:
    message: dict[str, Any] = {
        "role": "assistant",
        "tool_calls": [
            {"id": "t", "type": "function", "function": {"name": "f", "arguments": arguments}}
        ],
    }
    params = {"messages": [{"role": "user", "content": "x"}, message]}
    for translate in (lambda: claude.request(params, "m"), lambda: gemini.request(params)):
        if ok:
            translate()
        else:
            with pytest.raises(helicone_lite.OptionsError, match=r"tool_calls\[0\]\.arguments"):
                translate()


def test_unknown_role_is_refused() -> None:
    with pytest.raises(helicone_lite.OptionsError, match=r"messages\[0\]\.role"):
        claude.request({"messages": [{"role": "function", "content": "x"}]}, "m")


def test_gemini_stream_translator_numbers_tool_calls_across_chunks() -> None:
    from google.genai import types

    def response(part: dict[str, Any], finish: str | None = None) -> Any:
        return types.GenerateContentResponse.model_validate(
            {
                "response_id": "r1",
                "model_version": "gemini-x",
                "candidates": [
                    {
                        "index": 0,
                        "content": {"role": "model", "parts": [part]},
                        "finish_reason": finish,
                    }
                ],
                "usage_metadata": {"prompt_token_count": 3, "candidates_token_count": 2},
            }
        )

    translator = gemini.StreamTranslator(0, "gemini-x")
    chunks = [
        *translator.feed(response({"function_call": {"name": "f", "args": {}}})),
        *translator.feed(response({"function_call": {"name": "g", "args": {"a": 1}}}, "STOP")),
        *translator.finish(),
    ]
    calls = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or ()]
    assert [(d.index, d.id, d.function.name) for d in calls] == [
        (0, "call_hl_r1_0", "f"),
        (1, "call_hl_r1_1", "g"),
    ]
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 5
