"""The cache key: which calls are "the same call".

The key is the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of::

    {"v": 1,                                   # the recipe's version
     "kind": "chat.completions" | "embeddings",
     "seed": <Helicone-Cache-Seed or null>,
     "endpoint": <the provider's base URL>,
     "credential": <a hash of the provider credentials, never the key itself>,
     "params": <the request body, minus the ignored keys>,
     "query": <extra_query, or null>,
     "ignore": <the sorted Helicone-Cache-Ignore-Keys>}

``params`` is the OpenAI-shaped body the provider would get, ``extra_body`` merged in (it is
part of the body). Session, user and property options are not in the key, nor are the bucket
size and the TTL: a bucket of 3 extends a bucket of 1 (slot 0 is shared), and a shorter
``max-age`` does not fork the cache. The bucket index selects a slot within the key's bucket.
docs/caching.md repeats this recipe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..pipeline._call import Call

__all__ = ["RECIPE_VERSION", "cache_key", "canonical_json"]

RECIPE_VERSION = 1


def _canonical(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic models (typed messages, tools)
        return dump(mode="json", exclude_unset=True)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, (bytes, bytearray)):
        return {"$sha256": hashlib.sha256(value).hexdigest()}
    # A value with no stable JSON form (its repr may hold a memory address) would give a key
    # that never matches: refuse, so the call is simply not cached.
    raise TypeError(f"cannot put a {type(value).__name__} into a cache key")


# Built once (json.dumps with options builds an encoder per call); it holds no state.
_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical
).encode


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: equal values give equal bytes."""
    return _ENCODE(value).encode()


def cache_key(call: Call, *, seed: str | None, ignore: tuple[str, ...]) -> str:
    """The hex key of ``call`` (see the module docstring for the recipe).

    Raises ``TypeError`` when a parameter has no canonical JSON form (the call is not cached).
    """
    params: Mapping[str, Any] = call.params
    extra_body = call.request.get("extra_body")
    if ignore or (extra_body is not None and isinstance(extra_body, Mapping)):
        params = dict(params)
        if isinstance(extra_body, Mapping):
            params.update(extra_body)
        for name in ignore:
            params.pop(name, None)
    adapter = call.targets[call.target_index].adapter
    identity = getattr(adapter, "key_identity", None)  # both in one call (the OpenAI adapter)
    if identity is not None:
        endpoint, credential = identity(call)
    else:
        endpoint, credential = adapter.endpoint(call), adapter.fingerprint(call)
    query = call.request.get("extra_query")
    # canonical_json(material) of the recipe, written out in its sorted key order: no dict
    # to build and sort, strings escaped directly (equal bytes: test_key.py compares both);
    # _json's common cases (a str, None) written out too: no frame per field on every hit
    text = "".join(
        (
            '{"credential":',
            encode_basestring(credential) if type(credential) is str else _json(credential),
            ',"endpoint":',
            encode_basestring(endpoint) if type(endpoint) is str else _json(endpoint),
            ',"ignore":',
            _ENCODE(sorted(ignore)) if ignore else "[]",
            ',"kind":',
            encode_basestring(call.kind),  # a str (Call.kind)
            ',"params":',
            _ENCODE(params),
            ',"query":',
            "null" if query is None else _json(query),
            ',"seed":',
            "null" if seed is None else _json(seed),
            _TAIL,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


_TAIL = f',"v":{RECIPE_VERSION}}}'


def _json(value: Any) -> str:
    """``_ENCODE(value)``, with the common cases (a string, None) without the encoder call."""
    if type(value) is str:
        return encode_basestring(value)
    return "null" if value is None else _ENCODE(value)
