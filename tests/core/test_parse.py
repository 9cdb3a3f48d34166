"""chat.completions.parse through the stack: logged, cached (parsed again on a hit), sync and
async, returning openai's ParsedChatCompletion."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai
from openai.types.chat import ParsedChatCompletion
from pydantic import BaseModel

import helicone_lite
from helicone_lite.testing import FakeProvider, Reply

from .conftest import KEY, MESSAGES, rows


class Answer(BaseModel):
    disease: str
    chronic: bool


REPLY = Reply(text='{"disease": "diabetes", "chronic": true}')
CACHE = {"Helicone-Cache-Enabled": "true", "Helicone-User-Id": "u-9"}


def test_parse_is_logged_cached_and_parsed_again(fake: FakeProvider, home: Path) -> None:
    fake.script("gpt-4o", REPLY)
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    theirs = raw.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Answer)
    first, hit = (
        client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Answer, extra_headers=CACHE
        )
        for _ in range(2)
    )
    assert isinstance(first, ParsedChatCompletion) and isinstance(hit, ParsedChatCompletion)
    assert first.choices[0].message.parsed == theirs.choices[0].message.parsed
    assert hit.choices[0].message.parsed == Answer(disease="diabetes", chronic=True)
    assert fake.calls() == 2  # the raw SDK's and our first; the second was a hit
    sent = fake.requests[1]
    assert sent.json["response_format"] == fake.requests[0].json["response_format"]
    assert not [h for h in sent.headers if h.startswith("helicone")]
    miss, cached = rows(client)
    assert (miss["cache_status"], cached["cache_status"]) == ("MISS", "HIT")
    assert miss["user_id"] == "u-9" and miss["kind"] == "chat.completions"
    assert json.loads(miss["request_body"])["response_format"]["type"] == "json_schema"
    client.close()


def test_async_parse(fake: FakeProvider, home: Path) -> None:
    fake.script("gpt-4o", REPLY)

    async def main() -> object:
        client = helicone_lite.AsyncClient(api_key=KEY, base_url=fake.openai_base_url, home=home)
        parsed = await client.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=Answer
        )
        await client.close()
        return parsed

    parsed = asyncio.run(main())
    assert isinstance(parsed, ParsedChatCompletion)
    assert parsed.choices[0].message.parsed == Answer(disease="diabetes", chronic=True)
