"""PostgreSQL at scale: writer rows/s (one and four processes) and every report and dashboard
page on a large store.

    python benchmarks/bench_pg_scale.py                     # private server, 1,000,000 rows
    python benchmarks/bench_pg_scale.py --url postgresql://... -n 200000 --writer-only
    python benchmarks/bench_pg_scale.py --url postgresql://... --reports-only --reuse
    python benchmarks/bench_pg_scale.py --url postgresql://... --reports-only --generate -n 10000000
    python benchmarks/bench_pg_scale.py --url postgresql://... --reports-only --reuse -n 10000000 \
        [--only 'users|status'] [--pages-only]

Without --url a private server is started (tests/pg_server.py: loopback, fsync off) and
stopped at the end; each part runs in a schema of its own.

* **Writer**: ``--requests`` requests per process through ``Store.write`` + ``flush`` (each
  with two properties: three table rows), from one process and from four at once. Printed:
  requests/s and table rows/s (wall time from the first write to the last flush), and the
  caller's cost of ``Store.write``, timed in blocks of 100 calls (median and p95 per call),
  and the CPU time per request in the writing processes and in the server's processes (read
  from /proc: what the rate would be on idle cores, whatever else the machine runs).
* **Reports and pages**: the store of ``bench_reports.py`` (90 days of a triage app: 2,000
  users, 8 models, sessions of 20, 3 properties a request, scores), ``-n`` requests copied
  into the real schema with the indexes dropped and built again afterwards (as
  ``bench_dashboard.py`` does on SQLite), then ``VACUUM ANALYZE``. Every report of
  ``bench_reports.py`` (best of ``--repeat``) and every dashboard page of
  ``bench_dashboard.py`` (median of ``--repeat``, default range and ``range=all``) is timed
  through the read-only PostgreSQL store and ``create_app(database_url=...)``: wall time,
  and the CPU time of this process and of the server's processes (from /proc: the server
  must be on this machine and serve nothing else meanwhile), which on a loaded machine say
  what idle cores would spend.
  ``--generate`` builds the store on the server instead (``_pg_generate.py``: the same
  distributions, ``INSERT ... SELECT`` over ``generate_series``, rollups and facts by the
  statements of ``store.rebuild_rollups``): a generation shortcut, ~10x faster, for 10M rows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helicone_lite.store import Store

BLOCK = 100


# --- writer ---


def _row(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "model": "gpt-4o-mini", "provider": "openai",
        "status": 200, "prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42,
        "latency_ms": 412.5, "user_id": f"u{i % 100}", "session_id": f"s{i % 1000}",
        "properties": {"app": "triage", "n": i % 10},
        "request_body": '{"messages":[{"role":"user","content":"What is diabetes?"}]}',
    }  # fmt: skip


def _writer(url: str, requests: int, start: Any, out: Any) -> None:
    store = Store(url, max_queue=200_000, batch_size=2_000, group_rows=1_000)
    store.query("SELECT 1")  # connected and migrated before the clock starts
    rows = [_row(i) for i in range(requests)]
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    blocks = []
    for first in range(0, requests, BLOCK):
        t = time.perf_counter()
        for row in rows[first : first + BLOCK]:
            store.write("requests", row)
        blocks.append((time.perf_counter() - t) / BLOCK)
    store.flush()
    ended, cpu = time.perf_counter(), time.process_time() - cpu
    dropped = store.stats()["dropped"]
    store.close()
    out.put((began, ended, dropped, blocks, cpu))


def writer(url: str, processes: int, requests: int) -> dict[str, float]:
    """Requests/s and table rows/s of ``processes`` writers, and the per-call write cost."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [
        context.Process(target=_writer, args=(url, requests, start, out)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    server_cpu = _server_cpu(url)
    start.set()
    results = [out.get() for _ in workers]
    server_cpu = _server_cpu(url) - server_cpu
    for worker in workers:
        worker.join()
    began = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    assert sum(r[2] for r in results) == 0, "rows dropped"
    total = requests * processes
    with Store(url) as store:
        stored = store.query("SELECT count(*) AS n FROM requests")[0]["n"]
    assert stored >= total, (stored, total)
    blocks = sorted(b for r in results for b in r[3])
    client_cpu = sum(r[4] for r in results)
    return {
        "client_cpu_us": client_cpu / total * 1e6,
        "server_cpu_us": server_cpu / total * 1e6,
        "requests_s": total / (ended - began),
        "rows_s": 3 * total / (ended - began),
        "write_us_median": statistics.median(blocks) * 1e6,
        "write_us_p95": blocks[int(0.95 * (len(blocks) - 1))] * 1e6,
    }


def _server_cpu(url: str) -> float:
    """CPU seconds used so far by the server: its postmaster's children, live (utime + stime)
    and exited (the postmaster's cutime + cstime), read from /proc; NaN when the server is
    not on this machine or not readable."""
    import os

    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            postmaster = int(_stat((row or (0,))[0])[1])
        tick = os.sysconf("SC_CLK_TCK")
        own = _stat(postmaster)
        total = (int(own[13]) + int(own[14])) / tick
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = _stat(int(entry))
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    total += (int(fields[11]) + int(fields[12])) / tick
        return total
    except (OSError, psycopg.Error, IndexError, ValueError):
        return float("nan")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (fields[1] is the parent's pid)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


# --- the large store ---


def populate(url: str, n: int) -> float:
    """``n`` requests of bench_reports' generator, copied in with the secondary indexes
    dropped and built again after. Returns the seconds it took."""
    import psycopg
    from bench_reports import _COLUMNS, DAYS, _rows

    Store(url).close()  # the schema, migrated
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = [
            (name, sql)
            for name, sql in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname NOT LIKE '%%_pkey'"
            )
        ]
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        rng = random.Random(8)
        start = time.time() - DAYS * 86400
        with conn.cursor() as cur:
            _copy(cur, url, _rows(n, rng, start), _COLUMNS, n)
        print(f"\r  copied {n:,} requests; building {len(indexes)} indexes", flush=True)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - began


def _copy(cur: Any, url: str, rows: Iterator[Any], columns: str, n: int) -> None:
    requests, props, scores = (
        f"COPY requests ({columns}) FROM STDIN",
        "COPY request_properties (request_id, name, value) FROM STDIN",
        "COPY scores (request_id, name, value, value_type) FROM STDIN",
    )
    buffered: list[list[Any]] = [[], [], []]
    for i, (request, prop, score) in enumerate(rows):
        buffered[0].append(request)
        buffered[1].extend(prop)
        buffered[2].extend(score)
        if len(buffered[0]) >= 50_000 or i == n - 1:
            for sql, batch in zip((requests, props, scores), buffered, strict=True):
                with cur.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(row)
                batch.clear()
            print(f"\r  copied {i + 1:,} / {n:,}", end="", flush=True)


def _vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def sizes(url: str, n: int) -> str:
    """Table and index bytes per request (for extrapolating to larger stores)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            " AND c.relname IN ('requests', 'request_properties', 'scores', 'property_facts')"
        ).fetchall()
    return "sizes per request: " + "; ".join(
        f"{name} {table / n:,.0f} B table + {index / n:,.0f} B indexes"
        for name, table, index in rows
    )


def _timed(run: Any, url: str) -> tuple[float, float, float]:
    """Seconds of wall time, of this process's CPU and of the server's CPU (all its
    processes, from /proc: nothing else may use the server meanwhile) that ``run()`` took.
    On a loaded machine the two CPU figures are what idle cores would spend (a report's
    statements run one after another: their sum bounds its wall time there)."""
    wall, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(url)
    run()
    return (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        _server_cpu(url) - server,
    )


def _line(label: str, cells: list[tuple[float, float, float]]) -> str:
    shown = "  ".join(
        f"{w * 1000:9.1f} ms (client {c * 1000:7.1f} + server {s * 1000:8.1f} ms CPU)"
        for w, c, s in cells
    )
    return f"  {label:44} {shown}"


def reports_table(url: str, repeat: int, only: str = "") -> list[tuple[str, float]]:
    """Every report: the best of ``repeat`` runs of wall time, client CPU and server CPU
    (each its own minimum)."""
    import re

    from bench_reports import cases

    from helicone_lite.reports import Reports

    results = []
    with Store(url, readonly=True) as store:
        for label, run in cases(Reports(store)):
            if only and not re.search(only, label):
                continue
            try:
                runs = [_timed(run, url) for _ in range(repeat)]
            except Exception as exc:  # a statement timeout: say so, go on
                print(f"  {label:44} failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            best = tuple(min(r[i] for r in runs) for i in range(3))
            results.append((label, best[0] * 1000))
            print(_line(label, [best]), flush=True)  # type: ignore[list-item]
    return results


def pages_table(url: str, repeat: int, only: str = "") -> list[tuple[str, float, float]]:
    """Every dashboard page (last 7 days, then ``range=all``): the median of ``repeat``
    requests (after one warming request) of wall time, client CPU and server CPU."""
    import re
    import tempfile

    from bench_dashboard import pages
    from starlette.testclient import TestClient

    from helicone_lite.dashboard import create_app

    results = []
    with tempfile.TemporaryDirectory() as home, Store(url, readonly=True) as store:
        app = create_app(home=home, database_url=url, query_timeout=60)
        client = TestClient(app, base_url="http://127.0.0.1")
        for label, path in pages(store):
            if only and not re.search(only, label):
                continue
            cells = []
            try:
                for extra in ("", "range=all"):
                    joined = path + (("&" if "?" in path else "?") + extra if extra else "")
                    _page(client, joined)  # warm: templates compiled, connections opened
                    runs = [_timed(lambda p=joined: _page(client, p), url) for _ in range(repeat)]
                    cells.append(tuple(statistics.median(r[i] for r in runs) for i in range(3)))
            except Exception as exc:  # the query timeout: say so, go on
                print(f"  {label:44} failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            results.append((label, cells[0][0] * 1000, cells[1][0] * 1000))
            print(_line(label, cells), flush=True)  # type: ignore[arg-type]
        app.state.dashboard.close()
    return results


def _page(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])


def _schema(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    return server + ("&" if "?" in server else "?") + f"options=-csearch_path%3D{name}"


def _existing(server: str, name: str, n: int) -> str | None:
    """The URL of schema ``name`` if it already holds ``n`` requests (``--reuse``)."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'requests'", (name,)
        ).fetchone()
        if found is None:
            return None
        row = conn.execute(f"SELECT count(*) FROM {name}.requests").fetchone()
    if row is None or row[0] != n:
        return None
    return server + ("&" if "?" in server else "?") + f"options=-csearch_path%3D{name}"


def run(server: str, args: argparse.Namespace) -> None:
    for processes in () if args.reports_only else (1, 4):
        url = _schema(server, f"bench_writer_{processes}")
        got = writer(url, processes, args.requests)
        print(
            f"writer, {processes} process(es) x {args.requests:,} requests:"
            f" {got['requests_s']:,.0f} requests/s = {got['rows_s']:,.0f} table rows/s;"
            f" Store.write {got['write_us_median']:.1f} us median,"
            f" {got['write_us_p95']:.1f} us p95 per call; CPU per request:"
            f" {got['client_cpu_us']:.0f} us in the writing process(es),"
            f" {got['server_cpu_us']:.0f} us in the server",
            flush=True,
        )
    if args.writer_only:
        return
    found = _existing(server, "bench_large", args.n) if args.reuse else None
    if found is not None:
        url = found
        began = time.perf_counter()
        Store(url).close()  # migrated to this version (new indexes built)
        migrated = time.perf_counter() - began
        _vacuum(url)  # what autovacuum does to new tables (index-only scans need it)
        print(
            f"reusing {args.n:,} requests (schema bench_large; opened, migrating if needed,"
            f" in {migrated:.1f} s; then VACUUM ANALYZE)",
            flush=True,
        )
    else:
        url = _schema(server, "bench_large")
        print(f"populating {args.n:,} requests ...", flush=True)
        if args.generate:
            from _pg_generate import generate

            spent = generate(url, args.n)
            print(f"generated in {sum(spent.values()):.0f} s: {spent}", flush=True)
        else:
            print(f"populated in {populate(url, args.n):.0f} s", flush=True)
    print(sizes(url, args.n), flush=True)
    print(f"load average {_load()}; reports (best of {args.repeat}):", flush=True)
    if not args.pages_only:
        reports_table(url, args.repeat, args.only)
    print(
        f"load average {_load()}; dashboard pages (median of {args.repeat};"
        " last 7 days, then all 90 days):",
        flush=True,
    )
    pages_table(url, args.repeat, args.only)
    print(f"load average {_load()}", flush=True)


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL server (superuser: schemas are created)")
    parser.add_argument("-n", type=int, default=1_000_000, help="requests in the large store")
    parser.add_argument("--requests", type=int, default=20_000, help="writer: per process")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--writer-only", action="store_true")
    parser.add_argument("--reports-only", action="store_true", help="skip the writer runs")
    parser.add_argument(
        "--generate", action="store_true", help="build the large store on the server (faster)"
    )
    parser.add_argument("--only", default="", help="the reports and pages matching this regex")
    parser.add_argument("--pages-only", action="store_true", help="skip the reports")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --url: keep schema bench_large if it holds -n requests (migrated first)",
    )
    args = parser.parse_args()
    if args.url:
        run(args.url, args)
        return
    from tests.pg_server import PostgresServer

    with PostgresServer() as url:
        run(url, args)


if __name__ == "__main__":
    main()
