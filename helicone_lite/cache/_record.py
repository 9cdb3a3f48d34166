"""How the local backend stores one bucket: bytes, never a pickle.

diskcache pickles any value that is not ``bytes``/``str``/number, and unpickles whatever a row
says is a pickle; a crafted row in the cache directory would run code on the next lookup. So
a bucket is encoded here as plain bytes — a JSON header line, a newline, then the slots' blobs
back to back — and :class:`BytesDisk` refuses to store or load anything else (no pickled keys
or values, no value files: everything stays inside the SQLite file).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, NamedTuple

import diskcache
from pydantic_core import from_json

__all__ = ["BadRecord", "BytesDisk", "Record"]


class BadRecord(ValueError):
    """A stored bucket that is not one this module wrote (corrupt, pickled, or forged)."""


class Record(NamedTuple):
    """One bucket: its labels, and per slot its expiry (``-inf``: empty) and blob."""

    seed: str | None
    model: str
    expiries: tuple[float, ...]
    blobs: tuple[bytes | None, ...]

    def encode(self) -> bytes:
        lengths = [-1 if blob is None else len(blob) for blob in self.blobs]
        expiries = [e if e != float("-inf") else None for e in self.expiries]
        head = {"seed": self.seed, "model": self.model, "exp": expiries, "len": lengths}
        body = b"".join(blob for blob in self.blobs if blob is not None)
        return json.dumps(head, separators=(",", ":")).encode() + b"\n" + body

    @classmethod
    def decode(cls, data: object) -> Record:
        if not isinstance(data, bytes):
            raise BadRecord(f"a cache bucket must be bytes, not {type(data).__name__}")
        end = data.find(b"\n")
        try:
            head: Any = from_json(data[:end]) if end >= 0 else None
            seed, model, exp, lengths = head["seed"], head["model"], head["exp"], head["len"]
            return cls._build(data, end + 1, seed, model, exp, lengths)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise BadRecord(f"not a helicone_lite cache bucket ({exc})") from None

    @classmethod
    def _build(
        cls, data: bytes, start: int, seed: Any, model: Any, exp: Any, lengths: Any
    ) -> Record:
        if not (seed is None or isinstance(seed, str)) or not isinstance(model, str):
            raise TypeError("labels")
        if not isinstance(exp, list) or not isinstance(lengths, list) or len(exp) != len(lengths):
            raise TypeError("slots")
        blobs: list[bytes | None] = []
        expiries: list[float] = []
        for expiry, length in zip(exp, lengths, strict=True):
            if not isinstance(length, int) or length < -1:
                raise TypeError("slot length")
            expiries.append(float("-inf") if expiry is None else float(expiry))
            if length < 0:
                blobs.append(None)
                continue
            blobs.append(data[start : start + length])
            start += length
        if start != len(data):
            raise ValueError("slot lengths do not match the data")
        return cls(seed, model, tuple(expiries), tuple(blobs))


class BytesDisk(diskcache.Disk):  # type: ignore[misc]  # diskcache is untyped
    """A diskcache ``Disk`` for ``str`` keys and ``bytes`` values only, all inside SQLite.

    Storing anything else is a ``TypeError``; loading a pickled key or value, or a value kept
    in a separate file, is a :class:`BadRecord` (so it is treated as a bad entry, never run).
    ``remove`` never deletes outside the cache directory, whatever a row's filename says.
    """

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError("helicone_lite cache keys are str")
        return key, True

    def get(self, key: Any, raw: bool) -> Any:
        if not raw or type(key) is not str:
            raise BadRecord("a pickled cache key was refused")
        return key

    def store(self, value: Any, read: bool, key: Any = None) -> tuple[int, int, None, Any]:
        if type(value) is not bytes:
            raise TypeError("helicone_lite cache values are bytes")
        return 0, diskcache.core.MODE_RAW, None, sqlite3.Binary(value)

    def fetch(self, mode: int, filename: Any, value: Any, read: bool) -> bytes:
        if mode != diskcache.core.MODE_RAW or filename is not None or read:
            raise BadRecord(f"a cache value stored in mode {mode} was refused")
        if not isinstance(value, bytes):
            raise BadRecord(f"a cache value of type {type(value).__name__} was refused")
        return bytes(value)

    def remove(self, file_path: Any) -> None:
        import os.path

        if not isinstance(file_path, str) or os.path.isabs(file_path):
            return
        normal = os.path.normpath(file_path)
        if normal.startswith(os.pardir) or normal == os.curdir:
            return
        super().remove(normal)
