"""The cache key is the documented recipe: SHA-256 of the canonical JSON of its material.

``cache_key`` writes that JSON out piece by piece (issue 12: no dict to build and sort on every
hit); these tests hash the recipe's dict the slow, obvious way and require equal keys, so
entries stored before the change are still found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pytest

from helicone_lite.cache._key import RECIPE_VERSION, cache_key, canonical_json
from helicone_lite.pipeline._call import Call
from helicone_lite.pipeline._invoke import build_call
from helicone_lite.testing.pytest_plugin import MakeClient


def _chat_call(
    make_client: MakeClient, params: dict[str, Any], request_options: dict[str, Any] | None = None
) -> Call:
    """The call a client builds for ``chat.completions.create(**params)``."""
    client = make_client()
    return build_call(
        client._helicone_runtime,
        client,
        client.helicone_defaults,
        "chat.completions",
        params,
        None,
        request_options or {},
    )


def _reference(call: Call, seed: str | None, ignore: tuple[str, ...]) -> str:
    params = dict(call.params)
    extra_body = call.request.get("extra_body")
    if isinstance(extra_body, Mapping):
        params.update(extra_body)
    for name in ignore:
        params.pop(name, None)
    adapter = call.target.adapter
    material = {
        "v": RECIPE_VERSION,
        "kind": call.kind,
        "seed": seed,
        "endpoint": adapter.endpoint(call),
        "credential": adapter.fingerprint(call),
        "params": params,
        "query": call.request.get("extra_query"),
        "ignore": sorted(ignore),
    }
    return hashlib.sha256(canonical_json(material)).hexdigest()


REQUESTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("plain", {"messages": [{"role": "user", "content": "What is diabetes?"}]}, {}),
    (
        "unicode and numbers",
        {
            "messages": [{"role": "user", "content": 'Qu\'est-ce que le diabète ? 糖尿病 "x"\n'}],
            "temperature": 0.7,
            "max_tokens": 12,
            "stop": ["\u2028", "é"],
        },
        {},
    ),
    (
        "extra body and query",
        {"messages": [{"role": "user", "content": "hi"}]},
        {"extra_body": {"b": [1, 2.5, None, True]}, "extra_query": {"z": "1", "a": "ü"}},
    ),
]


@pytest.mark.parametrize(("name", "params", "request_options"), REQUESTS)
@pytest.mark.parametrize("seed", [None, "user-7", 'sé"ed'])
@pytest.mark.parametrize("ignore", [(), ("temperature", "messages"), ("zz", "b")])
def test_the_key_is_the_recipe(
    make_client: MakeClient,
    name: str,
    params: dict[str, Any],
    request_options: dict[str, Any],
    seed: str | None,
    ignore: tuple[str, ...],
) -> None:
    call = _chat_call(make_client, {"model": "gpt-4o-mini", **params}, request_options)
    key = cache_key(call, seed=seed, ignore=ignore)
    assert key == _reference(call, seed, ignore), name
    assert len(key) == 64


def test_a_value_without_json_form_still_refuses(make_client: MakeClient) -> None:
    call = _chat_call(make_client, {"model": "gpt-4o-mini", "messages": [], "metadata": object()})
    with pytest.raises(TypeError, match="cannot put a object into a cache key"):
        cache_key(call, seed=None, ignore=())
