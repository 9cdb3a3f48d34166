"""Writer throughput into PostgreSQL: rows/s from one process (loopback).

    python benchmarks/bench_postgres.py [--url postgresql://...] [--rows 20000]

Without --url a private server is started (tests/pg_server.py) and stopped at the end.
Reported: rows/s of Store.write + flush for request rows with two properties each.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helicone_lite.store import Store


def run(url: str, rows: int) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench CASCADE")
        conn.execute("CREATE SCHEMA bench")
    store = Store(url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dbench")
    start = time.perf_counter()
    for i in range(rows):
        store.write(
            "requests",
            {
                "id": str(uuid.uuid4()), "model": "gpt-4o-mini", "provider": "openai",
                "status": 200, "prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42,
                "latency_ms": 412.5, "user_id": f"u{i % 100}", "session_id": f"s{i % 1000}",
                "properties": {"app": "triage", "n": i % 10},
                "request_body": '{"messages":[{"role":"user","content":"What is diabetes?"}]}',
            },
        )  # fmt: skip
    store.flush()
    elapsed = time.perf_counter() - start
    assert store.stats()["dropped"] == 0
    store.close()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    if args.url:
        print(f"one process: {run(args.url, args.rows):,.0f} rows/s")
        return
    from tests.pg_server import PostgresServer

    with PostgresServer() as url:
        print(f"one process: {run(url, args.rows):,.0f} rows/s")


if __name__ == "__main__":
    main()
