"""The cases of the differential parity suite (``test_parity_openai.py``): README-style calls
a user makes on ``openai.OpenAI()``; each returns what the user reads, or raises."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

from .parity import Case, done, entered, items

MODEL = "gpt-4o-mini"
HI = [{"role": "user", "content": "What is diabetes?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
#: every case, by name
CASES: dict[str, Case] = {}


class Answer(BaseModel):
    answer: str


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- chat completions ----------------------------------------------------------------------


@case
async def chat_plain(c: Any, fake: FakeProvider) -> Any:
    return await done(c.chat.completions.create(model=MODEL, messages=HI, user="u1", seed=3))


@case
async def chat_stream(c: Any, fake: FakeProvider) -> Any:
    return await items(await done(c.chat.completions.create(model=MODEL, messages=HI, stream=True)))


@case
async def chat_stream_usage(c: Any, fake: FakeProvider) -> Any:
    stream = await done(
        c.chat.completions.create(
            model=MODEL, messages=HI, stream=True, stream_options={"include_usage": True}
        )
    )
    return await items(stream)


@case
async def chat_stream_usage_false(c: Any, fake: FakeProvider) -> Any:
    stream = await done(
        c.chat.completions.create(
            model=MODEL, messages=HI, stream=True, stream_options={"include_usage": False}
        )
    )
    return await items(stream)


@case
async def chat_tools(c: Any, fake: FakeProvider) -> Any:
    fake.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    return await done(
        c.chat.completions.create(model=MODEL, messages=HI, tools=TOOLS, tool_choice="auto")
    )


@case
async def chat_tools_stream(c: Any, fake: FakeProvider) -> Any:
    fake.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    stream = await done(
        c.chat.completions.create(model=MODEL, messages=HI, tools=TOOLS, stream=True)
    )
    return await items(stream)


@case
async def chat_n2(c: Any, fake: FakeProvider) -> Any:
    return await done(c.chat.completions.create(model=MODEL, messages=HI, n=2))


@case
async def chat_parse(c: Any, fake: FakeProvider) -> Any:
    parsed = await done(c.chat.completions.parse(model=MODEL, messages=HI, response_format=Answer))
    return [parsed, parsed.choices[0].message.parsed]


@case
async def chat_stream_helper(c: Any, fake: FakeProvider) -> Any:
    async with entered(c.chat.completions.stream(model=MODEL, messages=HI)) as stream:
        kinds = [event.type for event in await items(stream)]
        final = await done(stream.get_final_completion())
    return [kinds, final]


@case
async def chat_raw(c: Any, fake: FakeProvider) -> Any:
    raw = await done(c.chat.completions.with_raw_response.create(model=MODEL, messages=HI))
    return [raw, await done(raw.parse())]


@case
async def client_chat_raw(c: Any, fake: FakeProvider) -> Any:
    raw = await done(c.with_raw_response.chat.completions.create(model=MODEL, messages=HI))
    return [raw, await done(raw.parse())]


@case
async def chat_streaming_response(c: Any, fake: FakeProvider) -> Any:
    view = c.chat.completions.with_streaming_response
    async with entered(view.create(model=MODEL, messages=HI, stream=True)) as raw:
        lines = [line for line in await items(raw.iter_lines()) if line]
        return [raw, len(lines), lines[-1]]


@case
async def chat_with_options(c: Any, fake: FakeProvider) -> Any:
    copy = c.with_options(timeout=12.5, max_retries=1)
    return [
        copy.timeout,
        copy.max_retries,
        await done(copy.chat.completions.create(model=MODEL, messages=HI)),
    ]


@case
async def chat_copy_headers(c: Any, fake: FakeProvider) -> Any:
    copy = c.copy(organization="org-1", project="proj-1", default_headers={"X-Team": "a"})
    return await done(copy.chat.completions.create(model=MODEL, messages=HI))


@case
async def chat_extra(c: Any, fake: FakeProvider) -> Any:
    return await done(
        c.chat.completions.create(
            model=MODEL,
            messages=HI,
            extra_headers={"X-Custom": "1", "Idempotency-Key": "k-1"},
            extra_query={"q": "1"},
            extra_body={"metadata": {"a": "b"}},
        )
    )


# -- errors --------------------------------------------------------------------------------


def _error_case(*faults: Fault, retries: int = 2) -> Case:
    async def run(c: Any, fake: FakeProvider) -> Any:
        fake.enqueue(*faults)
        copy = c.with_options(max_retries=retries)
        return await done(copy.chat.completions.create(model=MODEL, messages=HI))

    return run


for _status in (400, 401, 404, 429, 500):
    CASES[f"error_{_status}"] = _error_case(Fault(status=_status, retry_after_ms=1), retries=0)
CASES["retried_500_then_ok"] = _error_case(
    Fault(status=500, retry_after_ms=1), Fault(status=503, retry_after_ms=1)
)
CASES["retried_429_exhausted"] = _error_case(*[Fault(status=429, retry_after_ms=1)] * 3, retries=2)  # fmt: skip


def _retried(call: Callable[[Any], Any]) -> Case:
    """``call`` answered after a 500 and a 503 (each retry numbered by x-stainless-retry-count)."""

    async def run(c: Any, fake: FakeProvider) -> Any:
        fake.enqueue(Fault(status=500, retry_after_ms=1), Fault(status=503, retry_after_ms=1))
        return await done(call(c))

    return run


CASES["retried_embeddings"] = _retried(
    lambda c: c.embeddings.create(model="text-embedding-3-small", input="a")
)
CASES["retried_responses"] = _retried(lambda c: c.responses.create(model=MODEL, input="hi"))
CASES["retried_moderations"] = _retried(lambda c: c.moderations.create(input="hello"))  # endpoint


@case
async def retried_chat_stream(c: Any, fake: FakeProvider) -> Any:
    fake.enqueue(Fault(status=500, retry_after_ms=1))
    return await items(await done(c.chat.completions.create(model=MODEL, messages=HI, stream=True)))


@case
async def error_timeout(c: Any, fake: FakeProvider) -> Any:
    fake.enqueue(Fault(hang=5))
    copy = c.with_options(timeout=0.2, max_retries=0)
    return await done(copy.chat.completions.create(model=MODEL, messages=HI))


@case
async def error_refused(c: Any, fake: FakeProvider) -> Any:
    copy = c.with_options(base_url=f"http://127.0.0.1:{_closed_port()}/v1", max_retries=0)
    return await done(copy.chat.completions.create(model=MODEL, messages=HI))


@case
async def error_raw(c: Any, fake: FakeProvider) -> Any:
    fake.enqueue(Fault(status=400, message="bad"))
    return await done(c.chat.completions.with_raw_response.create(model=MODEL, messages=HI))


# -- responses -----------------------------------------------------------------------------


@case
async def responses_create(c: Any, fake: FakeProvider) -> Any:
    return await done(c.responses.create(model=MODEL, input="hi", instructions="be brief"))


@case
async def responses_stream(c: Any, fake: FakeProvider) -> Any:
    events = await items(await done(c.responses.create(model=MODEL, input="hi", stream=True)))
    return [e.type for e in events]


@case
async def responses_stream_helper(c: Any, fake: FakeProvider) -> Any:
    async with entered(c.responses.stream(model=MODEL, input="hi")) as stream:
        kinds = [event.type for event in await items(stream)]
        final = await done(stream.get_final_response())
    return [kinds, final]


@case
async def responses_parse(c: Any, fake: FakeProvider) -> Any:
    parsed = await done(c.responses.parse(model=MODEL, input="hi", text_format=Answer))
    return [parsed, parsed.output_parsed]


@case
async def responses_raw(c: Any, fake: FakeProvider) -> Any:
    raw = await done(c.responses.with_raw_response.create(model=MODEL, input="hi"))
    return [raw, await done(raw.parse())]


# -- embeddings, models, moderations, completions, raw methods -----------------------------


@case
async def embeddings_float(c: Any, fake: FakeProvider) -> Any:
    return await done(c.embeddings.create(model="text-embedding-3-small", input=["a", "b"]))


@case
async def embeddings_base64(c: Any, fake: FakeProvider) -> Any:
    return await done(
        c.embeddings.create(model="text-embedding-3-small", input="a", encoding_format="base64")
    )


@case
async def embeddings_default_decoded(c: Any, fake: FakeProvider) -> Any:
    # openai asks for base64 on the wire when no format is given, and decodes it to floats
    return await done(c.embeddings.create(model="text-embedding-3-small", input="a", dimensions=4))


@case
async def embeddings_raw(c: Any, fake: FakeProvider) -> Any:
    raw = await done(
        c.embeddings.with_raw_response.create(model="text-embedding-3-small", input="a")
    )
    return [raw, await done(raw.parse())]


@case
async def models_list(c: Any, fake: FakeProvider) -> Any:
    page = await done(c.models.list())
    return [page.data, page.has_next_page(), await items(c.models.list())]


@case
async def models_retrieve(c: Any, fake: FakeProvider) -> Any:
    return await done(c.models.retrieve(MODEL))


@case
async def models_raw(c: Any, fake: FakeProvider) -> Any:
    raw = await done(c.with_raw_response.models.retrieve(MODEL))
    return [raw, await done(raw.parse())]


@case
async def moderations(c: Any, fake: FakeProvider) -> Any:
    return await done(c.moderations.create(input="hello", model="omni-moderation-latest"))


@case
async def completions_legacy(c: Any, fake: FakeProvider) -> Any:
    return await done(c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi"))


@case
async def completions_legacy_stream(c: Any, fake: FakeProvider) -> Any:
    stream = await done(
        c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi", stream=True)
    )
    return await items(stream)


@case
async def responses_retrieve(c: Any, fake: FakeProvider) -> Any:
    created = await done(c.responses.create(model=MODEL, input="hi"))
    return await done(c.responses.retrieve(created.id))


@case
async def raw_post_get(c: Any, fake: FakeProvider) -> Any:
    import openai

    posted = await done(
        c.post("/embeddings", cast_to=openai.types.CreateEmbeddingResponse,
               body={"model": "text-embedding-3-small", "input": "a"})
    )  # fmt: skip
    got = await done(c.get(f"/models/{MODEL}", cast_to=openai.types.Model))
    return [posted, got]


@case
async def context_manager(c: Any, fake: FakeProvider) -> Any:
    copy = c.copy()
    async with entered(copy) as entered_client:
        answer = await done(entered_client.chat.completions.create(model=MODEL, messages=HI))
    return [entered_client is copy, copy.is_closed(), answer]
