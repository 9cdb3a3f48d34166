"""Every resource of the clients: no ``Helicone-*`` header reaches the provider, and every
request is logged once (kind ``METHOD /path``), with the call's user and properties.

The walk calls every public method of every resource the client exposes (found through the
SDK's own resource tree, so a resource added in a new openai release is walked too), with
dummy arguments made from its signature; the fake provider answers the routes it serves and a
404 for the others. What matters is what arrived on the wire and what was logged.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai._resource import AsyncAPIResource, SyncAPIResource

import helicone_lite
from helicone_lite.testing import FakeProvider

from .conftest import KEY, rows

HEADERS = {"Helicone-User-Id": "walker", "Helicone-Property-Walk": "yes"}
#: helpers that send nothing themselves or wrap other methods (walked through those)
_HELPERS = {"connect", "stream", "create_and_poll", "upload_and_poll", "poll", "stream_and_poll"}


def _resources(root: Any, base: type[Any], path: str = "") -> Iterator[tuple[str, Any]]:
    for name in dir(type(root)):
        if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
            continue
        try:
            value = getattr(root, name)
        except Exception:
            continue
        if isinstance(value, base):
            yield f"{path}{name}", value
            yield from _resources(value, base, f"{path}{name}.")


def _dummy(param: inspect.Parameter) -> Any:
    ann = str(param.annotation)
    if "FileTypes" in ann or "FileContent" in ann:
        return ("a.txt", b"data", "text/plain")
    if any(t in ann for t in ("SequenceNotStr", "List[", "Iterable", "list[")):
        return []
    for name, value in (("bool", False), ("int", 1), ("float", 1.0)):
        if name in ann and "str" not in ann:
            return value
    if any(t in ann for t in ("Dict", "Mapping", "dict", "Param")):
        return {}
    return "x"


def _sdk_function(cls: type[Any], name: str, fn: Any) -> Any:
    """The method as openai declares it (helicone_lite's overrides take ``**kwargs``)."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("openai.") and name in vars(klass):
            return vars(klass)[name]
    return fn


def _methods(resource: Any) -> Iterator[tuple[str, Any, list[Any], dict[str, Any]]]:
    for name, fn in inspect.getmembers(type(resource), inspect.isfunction):
        if name.startswith("_") or name in _HELPERS:
            continue
        params = list(
            inspect.signature(_sdk_function(type(resource), name, fn)).parameters.values()
        )[1:]
        if not any(p.name == "extra_headers" for p in params):
            continue  # a local helper (webhook signatures…), no request of its own
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in params:
            if p.default is not inspect.Parameter.empty or p.kind in (
                p.VAR_KEYWORD,
                p.VAR_POSITIONAL,
            ):
                continue
            if p.kind == p.KEYWORD_ONLY:
                kwargs[p.name] = _dummy(p)
            else:
                args.append(_dummy(p))
        yield name, getattr(resource, name), args, kwargs


def _walk_sync(client: Any) -> int:
    tried = 0
    for path, resource in _resources(client, SyncAPIResource):
        for name, method, args, kwargs in _methods(resource):
            tried += 1
            try:
                value = method(*args, **kwargs, extra_headers=dict(HEADERS))
                if isinstance(value, (openai.Stream,)) or hasattr(value, "iter_pages"):
                    list(value)
                elif hasattr(value, "__enter__"):  # a stream manager (beta.threads.*_stream)
                    with value as entered:
                        list(entered)
            except (openai.OpenAIError, TypeError, ValueError, RuntimeError):
                pass  # a 404 from the fake, or arguments the SDK refuses before sending
            except Exception as exc:  # pragma: no cover - a failure the walk should show
                raise AssertionError(f"{path}.{name}: {exc!r}") from exc
    return tried


async def _walk_async(client: Any) -> int:
    tried = 0
    for path, resource in _resources(client, AsyncAPIResource):
        for name, method, args, kwargs in _methods(resource):
            tried += 1
            try:
                value = method(*args, **kwargs, extra_headers=dict(HEADERS))
                if inspect.isawaitable(value):
                    value = await value
                if isinstance(value, openai.AsyncStream):
                    [_ async for _ in value]
                elif hasattr(value, "__aenter__"):  # a stream manager (beta.threads.*_stream)
                    async with value as entered:
                        [_ async for _ in entered]
            except (openai.OpenAIError, TypeError, ValueError, RuntimeError):
                pass
            except Exception as exc:  # pragma: no cover
                raise AssertionError(f"{path}.{name}: {exc!r}") from exc
    return tried


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def _check(client: Any, fake: FakeProvider, tried: int) -> None:
    sent = fake.requests
    assert tried > 300 and len(sent) > 200, (tried, len(sent))  # the walk reached the wire
    leaked = [(r.method, r.path) for r in sent if any(h.startswith("helicone") for h in r.headers)]
    assert leaked == []
    logged = rows(client)
    assert len(logged) == len(sent)  # one row per request, none twice
    assert {r["user_id"] for r in logged} == {"walker"}
    assert {json.loads(r["properties"])["walk"] for r in logged} == {"yes"}
    statuses = {r["status"] for r in logged}
    assert 200 in statuses and 404 in statuses
    kinds = {r["kind"] for r in logged}
    assert {"chat.completions", "responses", "GET /models", "POST /images/generations"} <= kinds


def test_every_resource_of_the_sync_client(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(
        api_key=KEY,
        admin_api_key="sk-admin-test",
        base_url=fake.openai_base_url,
        home=home,
        max_retries=0,
        default_headers={"Helicone-Property-Walk": "yes"},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tried = _walk_sync(client)
    _check(client, fake, tried)
    client.close()


def test_every_resource_of_the_async_client(fake: FakeProvider, home: Path) -> None:
    async def main() -> None:
        client = helicone_lite.AsyncClient(
            api_key=KEY,
            admin_api_key="sk-admin-test",
            base_url=fake.openai_base_url,
            home=home,
            max_retries=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tried = await _walk_async(client)
        _check(client, fake, tried)
        await client.close()

    asyncio.run(main())


def test_raw_and_copied_clients_strip_too(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    copy = client.with_options(default_headers={"Helicone-Session-Id": "copied"})
    raw = copy.models.with_raw_response.list(extra_headers={"Helicone-User-Id": "raw"})
    assert raw.http_response.status_code == 200
    with copy.models.with_streaming_response.list() as streamed:
        assert streamed.http_response.status_code == 200
    assert [r for r in fake.requests if any(h.startswith("helicone") for h in r.headers)] == []
    logged = rows(client)
    assert [(r["kind"], r["session_id"], r["user_id"]) for r in logged] == [
        ("GET /models", "copied", "raw"),
        ("GET /models", "copied", None),
    ]
    client.close()
