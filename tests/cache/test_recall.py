"""A hit the local backend remembers is answered from memory, without a ``Blocking`` effect.

Issue 12: the effect cost the sync driver a generator round trip per hit and the async client a
worker thread. Only a bucket the disk backend's memo holds, with its entries decoded already,
is answered that way; anything else (Redis, a first read) still goes through ``lookup``.
"""

from __future__ import annotations

import pytest

from helicone_lite.cache._layer import Cache
from helicone_lite.pipeline._call import Blocking, Call, Result
from helicone_lite.pipeline._invoke import build_call

from .conftest import CACHE, MESSAGES, MakeClient, ask


def _cached_call(client: object) -> Call:
    return build_call(
        client._helicone_runtime,  # type: ignore[attr-defined]
        client,  # type: ignore[arg-type]
        client.helicone_defaults,  # type: ignore[attr-defined]
        "chat.completions",
        {"model": "gpt-4o-mini", "messages": MESSAGES},
        None,
        {"extra_headers": CACHE},
    )


def _first_effect(client: object) -> object:
    """What the cache layer does first for a cached call: an effect, or its Result."""
    stack = client._helicone_runtime.stack  # type: ignore[attr-defined]
    layer = next(layer for layer in stack if isinstance(layer, Cache))
    flow = layer.handle(_cached_call(client))
    try:
        return next(flow)
    except StopIteration as stop:
        return stop.value
    finally:
        flow.close()


def test_a_remembered_hit_needs_no_effect(make_client: MakeClient, backend: str) -> None:
    client = make_client()
    assert ask(client).headers["Helicone-Cache"] == "MISS"
    assert ask(client).headers["Helicone-Cache"] == "HIT"  # read once: now remembered
    first = _first_effect(client)
    if backend == "disk":
        assert isinstance(first, Result)
        assert first.headers["Helicone-Cache"] == "HIT"
        assert first.log["cache_status"] == "HIT"
    else:  # Redis hands back fresh bytes on every lookup: nothing is remembered
        assert isinstance(first, Blocking)


@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_bucket_never_read_goes_through_lookup(make_client: MakeClient) -> None:
    client = make_client()
    assert _first_effect(client).__class__ is Blocking  # nothing stored: the backend is asked


def test_a_hit_the_user_changes_does_not_change_the_next_one(
    make_client: MakeClient, backend: str
) -> None:
    """Every hit is a fresh object, also when answered from memory: a caller that edits its
    response (content, lists, usage, headers) leaves the next hit as it was stored."""
    client = make_client()
    ask(client)
    stored = ask(client)  # the first hit: remembered from here on (disk)
    before = stored.model_dump_json()
    first = ask(client)
    assert first.headers["Helicone-Cache"] == "HIT"
    first.choices[0].message.content = "changed"
    first.choices.append(first.choices[0])
    first.id = "changed"
    if first.usage is not None:
        first.usage.total_tokens = -1
    first.headers["Helicone-Cache"] = "changed"
    again = ask(client)
    assert again.headers["Helicone-Cache"] == "HIT"
    assert again.model_dump_json() == before
    assert again is not first and again.choices[0] is not first.choices[0]
