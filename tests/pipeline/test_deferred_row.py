"""The recorder captures a call and the writer thread builds its row (issue 12): what the caller
does after the call returns must not change the log, and a row that cannot be built is isolated.

The writer is parked (a row whose cost hook waits on an event) while the caller changes its
objects, so the row is certainly built after the change: no timing involved.
"""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path
from typing import Any

import helicone_lite
from helicone_lite.store import Store
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"


def _park(store: Store) -> threading.Event:
    """Hold the store's writer thread inside a row's cost hook until the event is set."""
    gate, entered = threading.Event(), threading.Event()

    def cost() -> None:
        entered.set()
        gate.wait()

    store.write("requests", {"id": "parked", "kind": "test", "model": "m", "_cost": cost})
    assert entered.wait(60)
    return gate


def _rows(client: Any) -> list[dict[str, Any]]:
    client.flush()
    return client.store.query(
        "SELECT request_body, response_body, properties FROM requests WHERE id != 'parked'"
    )


def test_appending_to_messages_after_the_call_leaves_the_logged_request(home: Path) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
        gate = _park(client.store)
        messages: list[Any] = [{"role": "user", "content": "What is diabetes?"}]
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        messages.append(reply.choices[0].message)  # the usual chat loop
        messages.append({"role": "user", "content": "And type 2?"})
        gate.set()
        (row,) = _rows(client)
        client.close()
    logged = json.loads(row["request_body"])["messages"]
    assert logged == [{"role": "user", "content": "What is diabetes?"}]


def test_changing_the_returned_response_leaves_the_logged_response(home: Path) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
        gate = _park(client.store)
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        answer = reply.choices[0].message.content
        reply.choices[0].message.content = "changed by the caller"
        reply.model = "changed"
        gate.set()
        (row,) = _rows(client)
        client.close()
    logged = json.loads(row["response_body"])
    assert logged["choices"][0]["message"]["content"] == answer != "changed by the caller"
    assert logged["model"] != "changed"


def test_a_row_that_cannot_be_built_is_logged_by_its_fallback_alone(home: Path) -> None:
    class Broken:
        def build(self) -> dict[str, Any]:
            raise RuntimeError("a bug in row building")

        def fallback(self) -> dict[str, Any]:
            return {"id": "broken", "kind": "chat.completions", "model": "m", "status": 200}

    store = Store(home / "log.db")
    store.write_deferred("requests", Broken())
    store.write("requests", {"id": "fine", "kind": "chat.completions", "model": "m"})
    assert store.flush(60)
    ids = sorted(r["id"] for r in store.query("SELECT id FROM requests"))
    store.close()
    assert ids == ["broken", "fine"]


def test_a_queued_call_keeps_few_objects_for_the_garbage_collector(home: Path) -> None:
    """A queued row held the Result, the response model and a dozen closures (~60 container
    objects a call, collected by the GC while rows waited for their commit); a capture holds a
    handful."""
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
        messages = [{"role": "user", "content": "hi"}]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # warm
        client.flush()
        gate = _park(client.store)
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(50):
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        gc.collect()
        kept = (len(gc.get_objects()) - before) / 50
        gate.set()
        assert len(_rows(client)) == 51
        client.close()
    assert kept < 20, f"{kept:.1f} container objects kept alive per queued call"
