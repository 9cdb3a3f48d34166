"""Memory of commands that stream a large result from PostgreSQL: peak RSS of
``helicone-lite query "SELECT * FROM requests" --json`` and ``helicone-lite export jsonl``
(each in a subprocess writing to /dev/null), and their CPU time, over ``-n`` requests of about
1 kB each.

    python benchmarks/bench_pg_stream.py                     # private server, 200,000 rows
    python benchmarks/bench_pg_stream.py --url postgresql://... -n 500000
    python benchmarks/bench_pg_stream.py --tree /path/to/other/checkout   # another version

A private server (tests/pg_server.py: loopback, fsync off) is started unless ``--url`` is
given; the rows are generated in the server (``generate_series``) into a schema of their own.
``--tree`` runs the commands from another checkout (``PYTHONPATH``), for a before/after on
the same rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from helicone_lite.store import Store

_FILL = """
INSERT INTO requests (id, created_at, model, provider, status, user_id, cost_usd,
                      total_tokens, latency_ms, request_body, response_body)
SELECT 'r' || lpad(i::text, 9, '0'),
       to_char(timestamp '2026-01-01' + i * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'gpt-4o-mini', 'openai', 200, 'user-' || (i %% 2000), 0.0001 * (i %% 97), i %% 900,
       (i %% 1500)::float, repeat('q', 500), repeat('a', 500)
FROM generate_series(1, %s) AS i
"""


def fill(url: str, n: int) -> str:
    schema = f"stream_{n}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    scoped = f"{url}?options=-csearch_path%3D{schema}"
    Store(scoped).close()  # the schema, migrated
    with psycopg.connect(scoped, autocommit=True) as conn:
        conn.execute(_FILL, (n,))
        conn.execute("VACUUM ANALYZE requests")
    return scoped


_WRAP = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "use = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(use.ru_utime + use.ru_stime, use.ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def run(url: str, argv: list[str], tree: Path | None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``python -m helicone_lite ARGV`` to /dev/null (a
    wrapper process reads the command's own rusage)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    command = [sys.executable, "-m", "helicone_lite", "--database-url", url, *argv]
    began = time.perf_counter()
    with open(os.devnull, "w") as null:
        done = subprocess.run(
            [sys.executable, "-c", _WRAP, *command],
            check=True,
            stdout=null,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,  # ``-m`` puts the working directory first on sys.path
        )
    wall = time.perf_counter() - began
    cpu, rss = done.stderr.split()[-2:]
    return wall, float(cpu), int(rss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL server (superuser: a schema is created)")
    parser.add_argument("-n", type=int, default=200_000, help="requests")
    parser.add_argument("--tree", type=Path, help="run the commands from this checkout")
    args = parser.parse_args()

    def measure(url: str) -> None:
        scoped = fill(url, args.n)
        where = f"tree {args.tree}" if args.tree else "this tree"
        print(f"{args.n:,} requests of ~1 kB; {where}")
        for argv in (
            ["--help"],
            ["export", "jsonl"],
            ["query", "SELECT * FROM requests", "--json"],
        ):
            wall, cpu, rss = run(scoped, argv, args.tree)
            label = " ".join(argv)
            print(f"  {label:<44} wall {wall:6.2f} s  CPU {cpu:6.2f} s  peak RSS {rss:7.1f} MB")

    if args.url:
        measure(args.url)
        return
    from tests.pg_server import PostgresServer

    with PostgresServer() as url:
        measure(url)


if __name__ == "__main__":
    main()
