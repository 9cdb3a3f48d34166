"""Chaos: corrupt, forged, pickled and moved cache entries (issue 13, finding 5).

Nothing read back from the cache directory or Redis is unpickled; every slot carries a MAC
bound to its key (``cache/_seal.py``); a bad entry is a miss for that key only, and is removed.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.cache._entry import Entry
from helicone_lite.testing import FakeProvider

from .conftest import Clock, MakeClient, ask, rows, status


class _Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _engine(client: helicone_lite.Client) -> Any:
    return next(
        layer for layer in client._helicone_runtime.stack if hasattr(layer, "engine")
    ).engine


def _keys(client: helicone_lite.Client) -> list[str]:
    backend = _engine(client).backend
    if hasattr(backend, "_redis"):
        prefix = "helicone-lite:cache:"
        return [k.decode()[len(prefix) :] for k in backend._redis.scan_iter(prefix + "*")]
    keys: list[str] = backend._keys()
    return keys


def _saved(client: helicone_lite.Client, content: str = "What is diabetes?") -> str:
    """Ask ``content`` (a MISS that is saved) and return its cache key."""
    before = set(_keys(client))
    assert status(ask(client, content)) == "MISS"
    (key,) = set(_keys(client)) - before
    return key


def _plant_sqlite(home: Path, key: str, value: bytes, mode: int) -> None:
    with sqlite3.connect(home / "cache" / "cache.db") as db:
        changed = db.execute(
            "UPDATE Cache SET value = ?, mode = ? WHERE key = ?", (value, mode, key)
        ).rowcount
        assert changed == 1


def _plant(client: helicone_lite.Client, home: Path, key: str, slot: bytes) -> None:
    """Replace slot 0 of ``key`` with ``slot`` as the backend stores it (bypassing the seal)."""
    backend = _engine(client).backend
    if hasattr(backend, "_redis"):
        backend._redis.hset("helicone-lite:cache:" + key, "0", slot)
        return
    from helicone_lite.cache._record import Record

    record = Record.decode(backend._cache.get(key))
    forged = record._replace(blobs=(slot, *record.blobs[1:]))
    backend._cache.set(key, forged.encode())
    if backend._memo is not None:
        backend._memo.clear()


@pytest.mark.parametrize("backend", ["disk"], indirect=True)  # the pickle hole was diskcache's
def test_a_pickled_value_in_the_cache_directory_is_never_unpickled(
    make_client: MakeClient, fake: FakeProvider, home: Path, tmp_path: Path
) -> None:
    client = make_client()
    key = _saved(client)
    marker = tmp_path / "pwned"
    _plant_sqlite(home, key, pickle.dumps(_Payload(marker)), mode=4)  # diskcache MODE_PICKLE
    other = make_client()  # a fresh process's view: no in-memory copy
    assert status(ask(other)) == "MISS"
    assert not marker.exists()
    assert fake.calls() == 2
    assert status(ask(other)) == "HIT"  # the bad bucket was removed and refilled


def test_a_forged_entry_is_a_miss_and_is_removed(
    make_client: MakeClient, fake: FakeProvider, home: Path
) -> None:
    client = make_client()
    key = _saved(client)
    forged = Entry(
        request_id="forged",
        kind="chat.completions",
        stream=False,
        created=0.0,
        expires=4e9,
        latency_ms=1.0,
        model="gpt-4o-mini",
        provider="openai",
        response_model="gpt-4o-mini",
        seed=None,
        body=b'{"id":"x","object":"chat.completion","created":0,"model":"evil","choices":[]}',
    ).encode()
    _plant(client, home, key, forged)
    reader = make_client()
    reply = ask(reader)
    assert status(reply) == "MISS" and reply.model != "evil"
    assert fake.calls() == 2
    assert status(ask(reader)) == "HIT"
    assert ask(reader).model != "evil"


def test_a_valid_entry_moved_to_another_key_is_refused(
    make_client: MakeClient, fake: FakeProvider, home: Path
) -> None:
    client = make_client()
    first, second = _saved(client, "first question"), _saved(client, "second question")
    engine = _engine(client)
    _plant(client, home, second, engine.backend.slots(first)[0])  # sealed for `first`
    reader = make_client()
    assert status(ask(reader, "second question")) == "MISS"
    assert status(ask(reader, "first question")) == "HIT"  # the source key is untouched


def test_one_bad_entry_does_not_make_other_keys_miss(
    make_client: MakeClient, fake: FakeProvider, home: Path, clock: Clock
) -> None:
    client = make_client()
    _saved(client, "good")
    _plant(client, home, _saved(client, "bad"), b"\x00garbage")
    # the writer's two MISS rows land now: on the frozen clock every row has the same
    # created_at, and a late flush (a loaded machine) ordered them after the reader's
    assert client.flush()
    reader = make_client()
    assert status(ask(reader, "bad")) == "MISS"
    assert status(ask(reader, "good")) == "HIT"  # same instant: no 5 s outage for every key
    logged = rows(reader)
    assert [r["cache_status"] for r in logged[-2:]] == ["MISS", "HIT"]


@pytest.mark.parametrize("backend", ["disk"], indirect=True)  # a diskcache bucket record
def test_a_corrupt_bucket_record_is_a_miss_for_its_key_only(
    make_client: MakeClient, fake: FakeProvider, home: Path
) -> None:
    client = make_client()
    _saved(client, "good")
    _plant_sqlite(home, _saved(client, "bad"), b"{not json\n", mode=1)
    reader = make_client()
    assert status(ask(reader, "bad")) == "MISS"
    assert status(ask(reader, "good")) == "HIT"
    assert status(ask(reader, "bad")) == "HIT"  # removed, then saved again
    assert len(_keys(reader)) == 2


def test_entries_written_under_another_secret_are_misses(
    make_client: MakeClient, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    writer = make_client(cache_secret="tenant-a-secret-0123456789")
    ask(writer)
    reader = make_client(cache_secret="tenant-b-secret-0123456789")
    with caplog.at_level("WARNING", logger="helicone_lite"):
        assert status(ask(reader)) == "MISS"
    assert "another cache secret" in caplog.text
    assert "tenant" not in caplog.text  # the secret itself is never printed
    assert status(ask(make_client(cache_secret="tenant-b-secret-0123456789"))) == "HIT"


def test_a_short_cache_secret_is_refused_at_construction(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        make_client(cache_secret="short-secret")
    message = str(info.value)
    assert "cache_secret" in message and "at least 16" in message
    assert "short-secret" not in message  # a secret is never echoed, even a bad one
    assert fake.calls() == 0


def test_the_per_home_secret_is_private_and_stable(
    make_client: MakeClient, home: Path, backend: str
) -> None:
    client = make_client()
    ask(client)
    ask(client)
    secret = home / "cache.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    before = secret.read_bytes()
    assert len(before) == 32
    assert status(ask(make_client())) == "HIT"  # a second client reads the same secret
    assert secret.read_bytes() == before
