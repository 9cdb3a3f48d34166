"""The names file beside a slot file (``ratelimit.names``): one JSON line per bucket created
(digest, key, policy, segment), appended under the slot file's lock and read only to list or
reset buckets, so naming costs the hot path nothing. Stored text is plain JSON, parsed and
never evaluated; compaction and resets rewrite it (a new file replacing the old) and bump the
table's names generation, which tells every process holding it open to re-open it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path

from ._bucket import Bucket
from ._slotfile import Name, Table, bump_names_gen, name_line, names_gen, read_names, write_names

__all__ = ["Names"]

#: compact the names file past this size, when it is mostly dead records
_COMPACT_AT = 256 * 1024
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)


class Names:
    """The names file at ``path``; every method runs under the slot file's lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._gen = -1

    def read(self) -> dict[bytes, Name]:
        return read_names(self.path)

    def append(self, table: Table, digest: bytes, bucket: Bucket) -> None:
        """Name a new bucket. A failure here is not the call's: the bucket works, and lists
        as ``(unknown)``."""
        with suppress(OSError):
            generation = names_gen(table)
            if self._fd < 0 or self._gen != generation:
                self.close()
                self._fd, self._gen = os.open(self.path, _APPEND, 0o600), generation
            os.write(self._fd, name_line(digest, bucket.key, bucket.policy, bucket.segment))

    def write_all(self, lines: Iterable[bytes]) -> None:
        """Append ``lines`` at once (the import of an old store, before the table is shared)."""
        fd = os.open(self.path, _APPEND, 0o600)
        try:
            os.write(fd, b"".join(lines))
        finally:
            os.close(fd)

    def compact(self, table: Table, live: set[bytes]) -> None:
        """Keep only the ``live`` buckets' records, once the file is big and mostly dead."""
        with suppress(OSError):
            size = os.stat(self.path).st_size
            if size > _COMPACT_AT and size > 400 * len(live):
                names = self.read()
                self._rewrite(table, {d: names[d] for d in live if d in names})

    def drop(self, table: Table, names: dict[bytes, Name], chosen: Callable[[Name], bool]) -> None:
        """Rewrite the file without the ``chosen`` records of ``names`` (a reset)."""
        kept = {digest: name for digest, name in names.items() if not chosen(name)}
        if len(kept) < len(names):
            self._rewrite(table, kept)

    def _rewrite(self, table: Table, names: dict[bytes, Name]) -> None:
        write_names(self.path, names)
        bump_names_gen(table)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            with suppress(OSError):
                os.close(fd)
