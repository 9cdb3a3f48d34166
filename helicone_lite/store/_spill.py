"""The spill journal: rows the store cannot take now, kept on disk until it can.

File format: JSON lines, one row per line, each prefixed with the CRC-32 of its JSON text::

    1f2e3d4c {"t":"requests","r":{"id":"0190…","status":200,…}}

A line whose checksum does not match (a torn write at a crash, a damaged disk) is skipped
and counted as dropped; every other line is independent of it.

Protocol (several threads and processes may spill into, and replay, one journal):

* **append**: take a *shared* ``flock`` on ``<journal>.lock``, open the journal with
  ``O_APPEND`` (0600, directory 0700), write the batch's lines in one ``write``, ``fsync``,
  close, unlock. Nothing keeps the journal open between batches.
* **claim**: a replayer takes the lock *exclusively* (so no append is in flight) and renames
  the journal to ``<journal>.<pid>.<n>.replay``; appends after that start a fresh journal.
* **replay**: the replayer holds an exclusive ``flock`` on the claimed file while it hands
  its rows to the store in batches, writing the byte offset reached after each committed
  batch to ``<claimed>.offset``; then it deletes both. A replayer that died leaves its
  claimed file unlocked: the next one picks it up and resumes at the recorded offset.
  Rows committed after the last recorded offset are sent again; the store's inserts are
  idempotent (``requests.id`` is the primary key and replayed rows never overwrite), so
  each row lands exactly once.

Bound: each journal file grows to at most ``max_bytes``; rows past it are dropped and counted
(``Store.stats()['dropped']``). The journal lives beside the store, or, when that directory
cannot be written, in a fallback directory (``$TMPDIR/helicone-lite-<uid>/``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._json import JsonEncoder
from ._rows import Item

__all__ = ["ReplayResult", "SpillJournal", "fallback_directory"]

_SUFFIX = ".spill"
_REPLAY = ".replay"


def fallback_directory() -> Path:
    """Where journals go when the store's own directory cannot be written."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"helicone-lite-{uid}"


@dataclass(frozen=True)
class ReplayResult:
    replayed: int
    corrupt: int
    complete: bool  # False: the store failed part-way; the rest stays claimed for later


class SpillJournal:
    """Append-only, checksummed journal of rows for one store file."""

    def __init__(
        self,
        store_path: Path,
        *,
        max_bytes: int,
        fallback: Path | None = None,
    ) -> None:
        store_path = store_path.absolute()
        self._name = store_path.name + _SUFFIX
        tag = hashlib.sha256(str(store_path).encode()).hexdigest()[:16]
        fallback_dir = fallback if fallback is not None else fallback_directory()
        self.paths = (store_path.parent / self._name, fallback_dir / f"{tag}-{self._name}")
        self.max_bytes = max_bytes
        self._encode = JsonEncoder()
        self._claims = itertools.count()

    # --- append ---

    def append(self, items: list[Item]) -> tuple[int, int]:
        """Write ``items`` durably; returns (spilled, dropped). Never raises for I/O."""
        lines = [self._line(table, row) for table, row in items]
        for path in self.paths:
            try:
                return self._append_to(path, lines)
            except OSError:
                continue
        return 0, len(lines)

    def _line(self, table: str, row: dict[str, Any]) -> bytes:
        text = self._encode({"t": table, "r": row}).encode("utf-8", "replace")
        return b"%08x %s\n" % (zlib.crc32(text), text)

    def _append_to(self, path: Path, lines: list[bytes]) -> tuple[int, int]:
        _private_dir(path.parent)
        with _flock(_lock_path(path), fcntl.LOCK_SH):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                kept = _fitting(lines, self.max_bytes - size)
                if kept:
                    try:
                        _write_all(fd, b"".join(lines[:kept]))
                        os.fsync(fd)
                    except OSError:  # disk full, file too large: leave no partial batch
                        os.ftruncate(fd, size)
                        raise
            finally:
                os.close(fd)
        return kept, len(lines) - kept

    # --- replay ---

    def pending(self) -> bool:
        """Whether any journal or claimed file exists (cheap: a stat per location)."""
        return any(path.exists() for path in self.paths) or bool(self._claimed())

    def claim(self) -> list[Path]:
        """Take the live journals for replay; returns every claimed file not being replayed."""
        for path in self.paths:
            if not path.exists():
                continue
            with contextlib.suppress(OSError), _flock(_lock_path(path), fcntl.LOCK_EX):
                target = path.with_name(f"{path.name}.{os.getpid()}.{next(self._claims)}{_REPLAY}")
                os.rename(path, target)
        return self._claimed()

    def _claimed(self) -> list[Path]:
        found: list[Path] = []
        for path in self.paths:
            with contextlib.suppress(OSError):
                found.extend(
                    path.parent / name
                    for name in os.listdir(path.parent)
                    if name.startswith(path.name + ".") and name.endswith(_REPLAY)
                )
        return sorted(found)

    def replay(
        self, path: Path, write: Callable[[list[Item]], bool], batch_size: int
    ) -> ReplayResult:
        """Hand ``path``'s rows to ``write`` in batches; ``write`` returns False on failure."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return ReplayResult(0, 0, True)  # replayed and deleted by someone else meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return ReplayResult(0, 0, True)  # another replayer holds it
            if not _same_file(path, fd):
                return ReplayResult(0, 0, True)
            return self._replay_locked(path, fd, write, batch_size)
        finally:
            os.close(fd)

    def _replay_locked(
        self, path: Path, fd: int, write: Callable[[list[Item]], bool], batch_size: int
    ) -> ReplayResult:
        offset_path = path.with_name(path.name + ".offset")
        offset = _read_offset(offset_path)
        replayed = corrupt = 0
        with os.fdopen(os.dup(fd), "rb") as stream:
            stream.seek(offset)
            for batch, bad, end in _batches(stream, batch_size):
                corrupt += bad
                if batch:
                    if not write(batch):
                        return ReplayResult(replayed, corrupt, False)
                    replayed += len(batch)
                _write_offset(offset_path, end)
        for done in (path, offset_path):
            with contextlib.suppress(OSError):
                os.unlink(done)
        return ReplayResult(replayed, corrupt, True)


def _batches(stream: Any, size: int) -> Iterator[tuple[list[Item], int, int]]:
    batch: list[Item] = []
    bad = 0
    for line in iter(stream.readline, b""):
        item = _decode(line)
        if item is None:
            bad += 1
        else:
            batch.append(item)
        if len(batch) >= size:
            yield batch, bad, stream.tell()
            batch, bad = [], 0
    yield batch, bad, stream.tell()


def _decode(line: bytes) -> Item | None:
    if len(line) < 10 or line[8:9] != b" " or not line.endswith(b"\n"):
        return None
    text = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(text):
            return None
        record = json.loads(text)
        table, row = record["t"], record["r"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(table, str) or not isinstance(row, dict):
        return None
    return table, row


def _fitting(lines: list[bytes], room: int) -> int:
    kept = 0
    for line in lines:
        room -= len(line)
        if room < 0:
            break
        kept += 1
    return kept


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "short write to the spill journal")
        view = view[written:]


def _private_dir(directory: Path) -> None:
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _same_file(path: Path, fd: int) -> bool:
    try:
        here, there = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _read_offset(path: Path) -> int:
    try:
        return max(0, int(path.read_text()))
    except (OSError, ValueError):
        return 0


def _write_offset(path: Path, offset: int) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, str(offset).encode())
        finally:
            os.close(fd)
