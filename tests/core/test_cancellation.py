"""A call cancelled or interrupted before its answer still leaves a row (status 499)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import helicone_lite
from helicone_lite.pipeline import Forward
from helicone_lite.testing import FakeProvider, Fault

from .conftest import KEY, MESSAGES, rows


class Interrupt:
    """A user interceptor that is 'Ctrl-C'-ed while the call is under way."""

    def handle(self, call: Any) -> Any:
        raise KeyboardInterrupt
        yield Forward(call)  # pragma: no cover - makes this a generator


def test_keyboard_interrupt_writes_a_499_row_and_propagates(fake: FakeProvider, home: Any) -> None:
    client = helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, home=home, interceptors=[Interrupt()]
    )
    try:
        with pytest.raises(KeyboardInterrupt):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": "u1"}
            )
        [row] = rows(client)
        assert row["status"] == 499
        assert row["error"].startswith("KeyboardInterrupt")
        assert row["user_id"] == "u1"
    finally:
        client.close()


async def test_cancelled_task_writes_a_499_row(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    fake.enqueue(Fault(hang=60))  # the provider never answers; stop() cuts it short
    task = asyncio.create_task(
        aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    )
    await asyncio.sleep(0)  # let the task start its request
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [row] = rows(aclient)
    assert row["status"] == 499
    assert row["error"].startswith("CancelledError")
    assert row["model"] == "gpt-4o-mini"
