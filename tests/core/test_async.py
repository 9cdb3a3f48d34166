"""The async client: same behaviour, on the event loop."""

from __future__ import annotations

import asyncio
import json

import openai

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault

from .conftest import MESSAGES, rows


async def test_async_create_and_log(aclient: helicone_lite.AsyncClient) -> None:
    r = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": "u1"}
    )
    assert r.choices[0].message.content
    assert r.headers["Helicone-Id"]
    [row] = rows(aclient)
    assert row["user_id"] == "u1" and row["status"] == 200 and row["cost_usd"] is not None


async def test_async_stream(aclient: helicone_lite.AsyncClient) -> None:
    stream = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    assert isinstance(stream, openai.AsyncStream)
    parts = [c.choices[0].delta.content async for c in stream]
    assert parts and all(p is not None for p in parts[:-1])
    [row] = rows(aclient)
    assert row["stream"] == 1 and row["ttft_ms"] is not None
    assert json.loads(row["response_body"])["choices"][0]["message"]["content"] == "".join(
        p or "" for p in parts
    )


async def test_async_error_and_raw_response(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    raw = await aclient.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    )
    assert raw.headers["Helicone-Id"] and raw.parse().choices
    fake.script("gpt-4o", Fault(status=404))
    try:
        await aclient.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    except openai.NotFoundError as exc:
        assert exc.status_code == 404
    else:
        raise AssertionError("expected NotFoundError")
    assert [r["status"] for r in rows(aclient)] == [200, 404]


async def test_async_with_options_and_embeddings(aclient: helicone_lite.AsyncClient) -> None:
    copy = aclient.with_options(timeout=3)
    assert isinstance(copy, helicone_lite.AsyncClient) and copy.store is aclient.store
    e = await copy.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(e.data) == 2
    assert rows(aclient)[0]["kind"] == "embeddings"


async def test_scopes_are_per_task(aclient: helicone_lite.AsyncClient) -> None:
    async def agent(name: str) -> None:
        with helicone_lite.session("s-" + name, path=f"/{name}"), helicone_lite.user(name):
            await asyncio.sleep(0)  # let the other task run inside its own scope
            await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    await asyncio.gather(*(agent(n) for n in ("a", "b", "c", "d")))
    got = sorted((r["user_id"], r["session_id"], r["session_path"]) for r in rows(aclient))
    assert got == [(n, "s-" + n, "/" + n) for n in "abcd"]
