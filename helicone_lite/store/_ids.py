"""Request ids: UUID version 7 (RFC 9562), time-ordered.

Ids are the primary key of ``requests`` and lead the keys of ``request_properties``,
``attempts`` and ``scores``. Random (version 4) ids scatter every insert across those
b-trees, so each batch rewrites a page per row per tree; time-ordered ids append to the
right edge instead. Measured with benchmarks/bench_writer.py this is the single largest
factor in the writer's throughput (see docs/schema.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

__all__ = ["new_request_id"]


def new_request_id(clock_ns: Callable[[], int] = time.time_ns) -> str:
    """A new UUIDv7 string: 48 bits of Unix milliseconds, then 74 random bits.

    >>> len(new_request_id()), new_request_id()[14]
    (36, '7')
    """
    millis = (clock_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits, 74 used
    value = (
        (millis << 80)
        | (0x7 << 76)
        | (((rand >> 62) & 0xFFF) << 64)
        | (0b10 << 62)
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
