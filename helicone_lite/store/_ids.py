"""Request ids: UUID version 7 (RFC 9562), time-ordered, made without a system call.

Ids are the primary key of ``requests`` and lead the keys of ``request_properties``,
``attempts`` and ``scores``. Random (version 4) ids scatter every insert across those
b-trees, so each batch rewrites a page per row per tree; time-ordered ids append to the
right edge instead. Measured with benchmarks/bench_writer.py this is the single largest
factor in the writer's throughput (see docs/schema.md).

``uuid.uuid4()`` reads ``os.urandom`` on every call: a system call that releases the GIL,
after which the caller may wait for the writer thread to give it back (20-34 µs measured).
:class:`IdSource` draws its random bits from a per-process PRNG seeded once from
``os.urandom`` and re-seeded in every forked child (so parent and child never share a
sequence). Ids are unique, not secret: nothing uses them as a capability.
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable

__all__ = ["IdSource", "new_request_id"]

#: the five groups of the text form, filled from the fields (no 128-bit int, no slicing)
_TEXT = "%08x-%04x-%04x-%04x-%012x".__mod__


def _format(millis: int, rand: int) -> str:
    """The UUIDv7 text of 48 bits of ``millis`` and 74 bits of ``rand`` (12 in ``rand_a``, 62
    in ``rand_b``), with the version (7) and variant (0b10) bits: ~1.5 µs, where building the
    128-bit int and slicing its hex took ~2."""
    return _TEXT(
        (
            (millis >> 16) & 0xFFFF_FFFF,
            millis & 0xFFFF,
            0x7000 | ((rand >> 62) & 0xFFF),
            0x8000 | ((rand >> 48) & 0x3FFF),
            rand & 0xFFFF_FFFF_FFFF,
        )
    )


class IdSource:
    """Makes UUIDv7 strings: 48 bits of Unix milliseconds, then 74 bits from a seeded PRNG.

    >>> ids = IdSource(clock_ns=lambda: 1_700_000_000_000_000_000)
    >>> a, b = ids.new(), ids.new()
    >>> a[:13], a[14], a != b
    ('018bcfe5-6800', '7', True)
    """

    __slots__ = ("__weakref__", "_bits", "_clock_ns", "_rng")

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        self._rng = random.Random(os.urandom(16))
        self._bits = self._rng.getrandbits
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)

            def reseed() -> None:
                source = ref()
                if source is not None:
                    source.reseed()

            os.register_at_fork(after_in_child=reseed)

    def reseed(self) -> None:
        """Start a fresh random sequence (called in forked children)."""
        self._rng = random.Random(os.urandom(16))
        self._bits = self._rng.getrandbits

    def new(self) -> str:
        """A new id; safe from any thread (``getrandbits`` runs under the GIL)."""
        return _format(self._clock_ns() // 1_000_000, self._bits(74))


def new_request_id(clock_ns: Callable[[], int] = time.time_ns) -> str:
    """A new UUIDv7 string from ``os.urandom`` (for callers without an :class:`IdSource`).

    >>> len(new_request_id()), new_request_id()[14]
    (36, '7')
    """
    return _format(clock_ns() // 1_000_000, int.from_bytes(os.urandom(10), "big"))
