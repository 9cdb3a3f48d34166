"""The local bucket store's files: a table of fixed-size slots (mapped), and a names file.

``<home>/ratelimit.slots`` is a 64-byte header and ``count`` (a power of two) 64-byte slots::

    header  magic "HLRLSLOT", version, count, used, names generation, retired, (zeros)  <8sIIIII
    slot    crc32 of the 60 bytes after it, state, key digest, capacity, window, tokens,
            updated, full_at                                                          <II16s5d

A slot is all zeros (empty: ends a probe), ``LIVE`` or ``GONE`` (a pruned or reset bucket: a
probe goes on past it, an insert may reuse it). A slot whose crc does not match (a process
killed in the middle of writing it) reads as ``GONE``: its bucket is missing, that is full and
new, never garbage. Keys are found by open addressing (linear probing from the digest's first 8
bytes); the table is rebuilt into a new file (``os.replace``) when live + gone slots pass 70 %,
so a process killed mid-rebuild leaves the old file whole. ``retired`` marks a file replaced by
a rebuild: a process that still maps it re-opens the path.

``<home>/ratelimit.names`` maps digests back to the bucket's key, policy and segment for
``helicone-lite limits``: JSON lines ``["<hex digest>", key, policy, segment]``, appended when a
slot is created, read only by ``states()`` / ``reset()``. Each record starts and ends with a
newline, so a torn one is one unreadable line. Its text is attacker-controlled (user ids,
property values): parsed as JSON strings, never evaluated.
"""

from __future__ import annotations

import fcntl
import json
import math
import mmap
import os
import sqlite3
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from .._files import private_file
from ._bucket import BackendError

__all__ = ["GONE", "LIVE", "Record", "Table", "build", "open_table", "read_names", "write_new"]

MAGIC = b"HLRLSLOT"
VERSION = 1
HEADER = struct.Struct("<8sIIIII")
HEADER_SIZE = 64
SLOT = struct.Struct("<II16s5d")
BODY = struct.Struct("<I16s5d")
SLOT_SIZE = SLOT.size
EMPTY_SLOT = bytes(SLOT_SIZE)
LIVE, GONE = 1, 2
MIN_COUNT, MAX_COUNT = 64, 1 << 24
#: rebuild when live + gone slots would pass this share of the table
LOAD = 0.7
_USED, _NAMES_GEN, _RETIRED = 16, 20, 24  # header field offsets
_WORD = struct.Struct("<I")


@dataclass(slots=True)
class Record:
    """A live slot's bucket state."""

    digest: bytes
    capacity: float
    window: float
    tokens: float
    updated: float
    full_at: float


class Table:
    """The slots of one open slot file (a mapping of it, or a bytearray being built)."""

    def __init__(self, buffer: mmap.mmap | bytearray, count: int) -> None:
        self.buffer, self.count, self.mask = buffer, count, count - 1

    def word(self, offset: int) -> int:
        value: int = _WORD.unpack_from(self.buffer, offset)[0]
        return value

    def set_word(self, offset: int, value: int) -> None:
        _WORD.pack_into(self.buffer, offset, value)

    @property
    def used(self) -> int:
        return self.word(_USED)

    def read(self, index: int) -> Record | None:
        """The live bucket in slot ``index``; None for an empty, gone or torn slot."""
        at = HEADER_SIZE + index * SLOT_SIZE
        return _record(self.buffer[at : at + SLOT_SIZE])

    def find(self, digest: bytes) -> tuple[int, Record | None]:
        """The slot holding ``digest`` and its bucket, or the slot to create it in and None."""
        index = int.from_bytes(digest[:8], "little") & self.mask
        free, buffer = -1, self.buffer
        for _ in range(self.count):
            at = HEADER_SIZE + index * SLOT_SIZE
            raw = buffer[at : at + SLOT_SIZE]
            record = _record(raw)
            if record is None:
                if raw == EMPTY_SLOT:
                    return (index if free < 0 else free), None
                if free < 0:
                    free = index  # gone or torn: reusable, but the key may be further on
            elif record.digest == digest:
                return index, record
            index = (index + 1) & self.mask
        if free < 0:
            raise BackendError("rate-limit store: the slot table is full (corrupt header?)")
        return free, None

    def write(self, index: int, record: Record, *, new: bool) -> None:
        """Store ``record`` in slot ``index`` (``new``: the slot was empty until now)."""
        at = HEADER_SIZE + index * SLOT_SIZE
        if new and self.buffer[at : at + SLOT_SIZE] == EMPTY_SLOT:
            self.set_word(_USED, self.used + 1)
        body = BODY.pack(
            LIVE,
            record.digest,
            record.capacity,
            record.window,
            record.tokens,
            record.updated,
            record.full_at,
        )
        self.buffer[at : at + SLOT_SIZE] = _WORD.pack(zlib.crc32(body)) + body

    def forget(self, index: int) -> None:
        """Mark slot ``index`` gone (its bucket is full again, or reset)."""
        at = HEADER_SIZE + index * SLOT_SIZE
        body = BODY.pack(GONE, bytes(16), 0.0, 0.0, 0.0, 0.0, 0.0)
        self.buffer[at : at + SLOT_SIZE] = _WORD.pack(zlib.crc32(body)) + body

    def forget_full(self, now: float) -> set[bytes]:
        """Forget every bucket full again at ``now`` (a full bucket equals a missing one);
        the digests of the live ones left."""
        live = set()
        content = bytes(self.buffer[HEADER_SIZE : HEADER_SIZE + self.count * SLOT_SIZE])
        for index, (_, state, digest, *_rest, full) in enumerate(SLOT.iter_unpack(content)):
            if state == LIVE:
                if full <= now:
                    self.forget(index)
                else:
                    live.add(digest)
        return live

    def live(self) -> Iterator[tuple[int, Record]]:
        for index in range(self.count):
            record = self.read(index)
            if record is not None:
                yield index, record

    def room_for(self, used: int, new: int) -> bool:
        return used + new <= self.count * LOAD


def _record(raw: bytes | bytearray) -> Record | None:
    """The live bucket in slot bytes ``raw``; None for an empty, gone or torn (crc) slot."""
    if raw[4] != LIVE:  # the state's low byte: not live (empty, gone, or garbage)
        return None
    crc, state, digest, *values = SLOT.unpack(raw)
    if state != LIVE or crc != zlib.crc32(raw[4:]):
        return None
    return Record(digest, *values)


def _count_for(live: int) -> int:
    """A table size (power of two) holding ``live`` buckets at most half full."""
    count = MIN_COUNT
    while count < 2 * live and count < MAX_COUNT:
        count *= 2
    return count


def build(records: Iterable[Record], names_gen: int) -> bytearray:
    """A whole slot file holding ``records`` (digests unique), as bytes to write out."""
    records = list(records)
    count = _count_for(len(records))
    buffer = bytearray(HEADER_SIZE + count * SLOT_SIZE)
    HEADER.pack_into(buffer, 0, MAGIC, VERSION, count, 0, names_gen, 0)
    table = Table(buffer, count)
    for record in records:
        index, found = table.find(record.digest)
        table.write(index, record, new=found is None)
    return buffer


def write_new(
    path: Path, content: bytes, *, replace: bool, before: Callable[[int], None] | None = None
) -> int:
    """Write ``content`` to a private temporary file and put it at ``path``: atomically
    replacing it (``replace``), or only if nothing is there yet. ``before(fd)`` runs just before
    (to lock it). Returns the file's descriptor (open on the new file), or -1 when another
    process created ``path`` first."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    fd = os.open(tmp, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.write(fd, content)
        if before is not None:
            before(fd)
        if replace:
            os.replace(tmp, path)
            return fd
        try:
            os.link(tmp, path)
        except FileExistsError:
            os.close(fd)
            return -1
        finally:
            tmp.unlink(missing_ok=True)
        return fd
    except BaseException:
        with suppress(OSError):
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def open_table(fd: int, path: Path) -> tuple[mmap.mmap, int]:
    """Map the slot file open on ``fd``; a bad one is a :class:`BackendError` naming it."""
    size = os.fstat(fd).st_size
    head = os.pread(fd, HEADER.size, 0)
    if len(head) < HEADER.size or head[:8] != MAGIC:
        raise BackendError(f"rate-limit store {path}: not a helicone_lite slot file (bad magic)")
    _, version, count, _, _, _ = HEADER.unpack(head)
    if version != VERSION:
        raise BackendError(f"rate-limit store {path}: unsupported slot file version {version}")
    if count < MIN_COUNT or count > MAX_COUNT or count & (count - 1):
        raise BackendError(f"rate-limit store {path}: corrupt header (slot count {count})")
    if size < HEADER_SIZE + count * SLOT_SIZE:
        raise BackendError(f"rate-limit store {path}: truncated ({size} bytes, {count} slots)")
    return mmap.mmap(fd, HEADER_SIZE + count * SLOT_SIZE), count


def checked(table: Table, fd: int, path: Path) -> tuple[int, bool]:
    """Before touching the slots under the lock: the header still says what was mapped and the
    file still backs the whole mapping (a shrunken file would fault, not raise). Returns the
    header's ``used`` and ``retired``. The file's size is its end as ``lseek`` finds it (a
    quarter of ``fstat``'s cost, and the descriptor's offset is never used: reads are
    ``pread`` and the mapping)."""
    magic, version, count, used, _, retired = HEADER.unpack_from(table.buffer)
    if magic != MAGIC or version != VERSION or count != table.count:
        raise BackendError(f"rate-limit store {path}: header changed under its mapping (corrupt)")
    if os.lseek(fd, 0, os.SEEK_END) < HEADER_SIZE + count * SLOT_SIZE:
        raise BackendError(f"rate-limit store {path}: truncated while in use")
    return used, retired != 0


def lock_file(fd: int, timeout: float, path: Path) -> None:
    """Lock ``fd`` exclusively, waiting at most ``timeout`` seconds."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline, pause = time.monotonic() + timeout, 0.00005
    while True:
        time.sleep(pause)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise BackendError(
                    f"rate-limit store {path}: locked for more than {timeout:g} s"
                ) from None
            pause = min(pause * 2, 0.002)


def names_gen(table: Table) -> int:
    return table.word(_NAMES_GEN)


def bump_names_gen(table: Table) -> None:
    table.set_word(_NAMES_GEN, table.word(_NAMES_GEN) + 1)


def set_retired(table: Table, value: bool) -> None:
    table.set_word(_RETIRED, int(value))


# --- names ---

Name = tuple[str, str, str]  # key, policy, segment


def name_line(digest: bytes, key: str, policy: str, segment: str) -> bytes:
    return b"\n" + json.dumps([digest.hex(), key, policy, segment]).encode() + b"\n"


def read_names(path: Path) -> dict[bytes, Name]:
    """Every readable record of the names file (the last one per digest wins)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    names: dict[bytes, Name] = {}
    for line in data.split(b"\n"):
        try:
            item = json.loads(line) if line else None
        except ValueError:
            continue  # torn or foreign: skipped
        if isinstance(item, list) and len(item) == 4 and all(isinstance(x, str) for x in item):
            try:
                digest = bytes.fromhex(item[0])
            except ValueError:
                continue
            names[digest] = (item[1], item[2], item[3])
    return names


def write_names(path: Path, names: dict[bytes, Name]) -> None:
    """Replace the names file with ``names`` (compaction, under the table's lock)."""
    content = b"".join(name_line(d, *name) for d, name in names.items())
    os.close(write_new(path, content, replace=True))


# --- import from the SQLite store of helicone_lite <= 2026-12-06 ---


def legacy_buckets(path: Path) -> Iterator[tuple[Name, Record]]:
    """The buckets of an old ``ratelimit.db``, read-only, plain values only."""
    import hashlib

    if not path.is_file():
        return
    private_file(path)  # an older version may have left it readable (never opened here)
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            rows = conn.execute(
                "SELECT key, policy, segment, capacity, window_s, tokens, updated, full_at "
                "FROM buckets"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "no such table" in str(exc):
            return
        raise BackendError(
            f"rate-limit store: cannot import {path} ({exc}); move it away to start with full "
            "buckets"
        ) from exc
    for key, policy, segment, *numbers in rows:
        if not all(isinstance(x, str) for x in (key, policy, segment)):
            continue
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in numbers):
            continue
        capacity, window, tokens, updated, full = (float(x) for x in numbers)
        if capacity <= 0 or window <= 0:
            continue
        digest = hashlib.sha256(key.encode()).digest()[:16]
        yield (key, policy, segment), Record(digest, capacity, window, tokens, updated, full)
