"""A large PostgreSQL store built by the server itself: a **generation shortcut** for timing
reports and pages at 10,000,000 requests, not a measure of the writer.

``bench_reports.py``'s generator (90 days of a triage app) streams rows from Python through
COPY: ~600 s a million requests here, so ~2 h for ten million. This builds the same kind of
store in one pass of ``INSERT ... SELECT`` over ``generate_series`` per million requests,
every value a function of the row number (hashes as the random source: the same store on
every run), with the same distributions:

* time: evenly spread over the last 90 days, ids time-ordered as ``bench_reports._id``;
* sessions of 20 requests, each with one user (2,000 users, weight ``1 / (k + 1) ** 0.8``,
  drawn through the continuous inverse of that law) and one of 8 departments;
* models by ``bench_reports.MODELS``' weights; session paths cycling over 4;
* 10 % cache hits (cost 0, latency 2 ms; the original is the request just before: the
  Python generator's is the last successful one of the same model), 4 % errors among the
  rest (no cost), llama unpriced; latency lognormal(6.4, 0.7) ms (Box-Muller);
* three properties a request (department, agent, environment), 2 scores on every 20th;
* the same 330-byte request and response bodies.

Then, as a store that was written by the writer would have them: the secondary indexes
(dropped before, built after), the hourly rollups and fact tables filled by the statements
of the project's own ``store.rebuild_rollups`` (what the writer keeps per batch, counted in
one pass; run on several connections at once), and ``VACUUM (FREEZE, ANALYZE)``. Triggers
are off for the generating sessions (``session_replication_role = replica``: the rebuild
counts everything once). Needs a superuser and ~4.6 kB of disk a request (46 GB for 10M),
plus the sort files of the largest key (~7 GB).
"""

from __future__ import annotations

import time
from typing import Any

from bench_reports import BODY, DAYS, DEPARTMENTS, MODELS, PATHS

from helicone_lite.store import Store
from helicone_lite.store._facts_schema import rebuild_facts
from helicone_lite.store._rollup_batch import rebuild
from helicone_lite.store._rollup_scores import rebuild_score_rollup
from helicone_lite.store._rollup_user_scores import rebuild_user_scores

__all__ = ["generate"]

#: uniform in [0, 1) from (row number, stream): 48 bits of PostgreSQL's 64-bit hash
_U = "(hashint8extended({0}, {1}) & 281474976710655)::float8 / 281474976710656.0"
#: bench_reports._id in SQL: 12 hex digits of milliseconds, '7', 19 of the sequence number
_HEX = "lpad(to_hex(floor(({s}) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex({i}), 19, '0')"


def _dashed(hex_text: str) -> str:
    """The 32 hex digits of ``hex_text`` as a UUID's text."""
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return " || '-' || ".join(f"substr({hex_text}, {a}, {b})" for a, b in parts)


_COLUMNS = (
    "id, created_at, kind, provider, model, status, error, prompt_tokens, completion_tokens, "
    "total_tokens, cost_usd, latency_ms, user_id, session_id, session_path, session_name, "
    "properties, cache_status, cache_reference_id, prompt_id, prompt_version, request_body, "
    "response_body"
)


#: the properties and scores of the requests just inserted (``r``: id, properties)
_PROPERTIES = (
    "INSERT INTO request_properties (request_id, name, value) "
    "SELECT r.id, j.key, j.value FROM r, json_each_text(r.properties::json) j"
)
_SCORES = (
    "INSERT INTO scores (request_id, name, value, value_type) "
    "SELECT r.id, s.name, s.value, s.value_type FROM (SELECT id, ('x' || "
    "right(replace(id, '-', ''), 16))::bit(64)::bigint AS i FROM r) r "
    "CROSS JOIN LATERAL (VALUES ('accuracy', 40 + floor("
    + _U.format("r.i", 11)
    + " * 61), 'int'), "
    "('helpful', CASE WHEN " + _U.format("r.i", 12) + " < 0.8 THEN 1.0 ELSE 0.0 END, 'bool')) "
    "AS s(name, value, value_type) WHERE r.i %% 20 = 7"
)


def _u(row: str, stream: int) -> str:
    return _U.format(row, stream)


def _array(values: tuple[Any, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def _model_case() -> tuple[str, str]:
    """(model, provider) expressions drawing from MODELS' weights with ``v.um``."""
    models, providers, top = [], [], 0.0
    for provider, model, weight in MODELS[:-1]:
        top += weight
        models.append(f"WHEN v.um < {top:.4f} THEN '{model}'")
        providers.append(f"WHEN v.um < {top:.4f} THEN '{provider}'")
    last_provider, last_model, _ = MODELS[-1]
    return (
        f"CASE {' '.join(models)} ELSE '{last_model}' END",
        f"CASE {' '.join(providers)} ELSE '{last_provider}' END",
    )


def _requests_sql(start: float, step: float) -> str:
    """One statement inserting the requests numbered %(first)s to %(last)s."""
    zipf = (2001**0.2) - 1  # users: inverse of the continuous law (k + 1) ** -0.8
    model, provider = _model_case()
    agents = _array(tuple(p.rsplit("/", 1)[1] for p in PATHS))
    stamp = f"({start!r} + g.i * {step!r})"
    values = (
        f"{stamp} AS stamp, g.i / 20 AS s, {_u('g.i', 1)} AS um, "
        f"g.i > 0 AND {_u('g.i', 4)} < 0.10 AS hit, {_u('g.i', 5)} AS ue, "
        f"80 + floor({_u('g.i', 7)} * 2320)::bigint AS pt, "
        f"20 + floor({_u('g.i', 8)} * 880)::bigint AS ct, "
        f"least(1999, floor(power(1 + {_u('g.i / 20', 2)} * {zipf!r}, 5) - 1))::int AS k, "
        f"(g.i %% 20 %% 4) + 1 AS path, "
        f"({_array(DEPARTMENTS)})[1 + floor({_u('g.i / 20', 3)} * 8)::int] AS department, "
        f"exp(6.4 + 0.7 * sqrt(-2 * ln(1 - {_u('g.i', 9)})) * cos(2 * pi() * {_u('g.i', 10)}))"
        " AS lognormal"
    )
    status = (
        "CASE WHEN v.hit OR v.ue > 0.04 THEN 200 ELSE "
        f"(ARRAY[429, 500, 503, 400])[1 + floor({_u('g.i', 6)} * 4)::int] END"
    )
    previous = "(" + _HEX.format(s=f"{start!r} + (g.i - 1) * {step!r}", i="g.i - 1") + ")"
    environment = "CASE WHEN g.i %% 10 <> 0 THEN 'production' ELSE 'staging' END"
    select = (
        f"{_dashed('h.t')}, "
        "to_char(to_timestamp(v.stamp) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'chat.completions', m.provider, m.model, "
        "m.status, CASE WHEN m.status = 200 THEN NULL ELSE 'APIStatusError' END, v.pt, v.ct, "
        "v.pt + v.ct, CASE WHEN v.hit THEN 0.0 WHEN m.status <> 200 OR m.model LIKE 'llama%%' "
        "THEN NULL ELSE v.pt * 2.5e-6 + v.ct * 1e-5 END, "
        "CASE WHEN v.hit THEN 2.0 ELSE v.lognormal END, "
        "'patient-' || lpad(v.k::text, 5, '0'), 'session-' || lpad(v.s::text, 7, '0'), "
        f"({_array(PATHS)})[v.path], 'Patient triage', "
        'format(\'{"department": "%%s", "agent": "%%s", "environment": "%%s"}\', '
        f"v.department, ({agents})[v.path], {environment}), "
        "CASE WHEN v.hit THEN 'HIT' ELSE 'MISS' END, "
        f"CASE WHEN v.hit THEN {_dashed(previous)} END, "
        "CASE WHEN g.i %% 3 = 0 THEN 'triage-classifier' END, "
        "CASE WHEN g.i %% 3 = 0 THEN 1 + g.i %% 4 END, %(body)s, %(body)s"
    )
    return (
        f"WITH r AS (INSERT INTO requests ({_COLUMNS}) SELECT {select} "
        f"FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(i) "
        f"CROSS JOIN LATERAL (SELECT {values}) v "
        f"CROSS JOIN LATERAL (SELECT {_HEX.format(s='v.stamp', i='g.i')} AS t) h "
        f"CROSS JOIN LATERAL (SELECT {model} AS model, {provider} AS provider, "
        f"{status} AS status) m RETURNING id, properties), "
        f"p AS ({_PROPERTIES}) {_SCORES}"
    )


def _indexes(conn: Any) -> list[tuple[str, str, str]]:
    """(table, drop statement, create statement) of every secondary index and of the
    fact tables' keys, which the rebuild fills faster when built afterwards."""
    found = []
    rows = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.connamespace = current_schema()::regnamespace "
        "AND c.contype = 'p' AND c.conrelid::regclass::text LIKE '%%facts'"
    ).fetchall()
    for table, name, definition in rows:
        found.append(
            (
                table,
                f"ALTER TABLE {table} DROP CONSTRAINT {name}",
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
            )
        )
    for table, name, definition in conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() AND indexname NOT LIKE '%%_pkey'"
    ).fetchall():
        found.append((table, f"DROP INDEX {name}", definition))
    return found


_CHUNK = 250_000
_WORKERS = 4
_PROPERTY_NAMES = ("department", "agent", "environment")


def _parallel(url: str, statements: list[tuple[str, dict[str, Any] | None]], say: Any) -> None:
    """Run ``statements`` on ``_WORKERS`` connections at once (a shared machine hands CPU
    out per process), each with triggers off and a large sort memory."""
    import queue
    import threading

    import psycopg

    work: queue.Queue[tuple[str, dict[str, Any] | None]] = queue.Queue()
    for item in statements:
        work.put(item)
    failures: list[BaseException] = []

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute("SET maintenance_work_mem = '1GB'")
            while not failures:
                try:
                    sql, params = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    conn.execute(sql, params)
                except BaseException as exc:
                    failures.append(exc)
                    raise
                shown = {k: v for k, v in (params or {}).items() if k != "body"}
                say(f"  done: {sql[:50]} {shown or ''}")

    threads = [threading.Thread(target=worker) for _ in range(_WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


_TABLES = (
    "requests", "request_properties", "scores",
    "property_facts", "score_facts", "score_property_facts",
)  # fmt: skip


def generate(url: str, n: int, say: Any = print) -> dict[str, float]:
    """Build ``n`` requests in the (empty, migrated here) schema of ``url``; the seconds
    each phase took. The tables written are ``UNLOGGED`` (no write-ahead log while they are
    filled; read the same way)."""
    import psycopg

    Store(url).close()
    spent: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = _indexes(conn)
        for _, drop, _ in indexes:
            conn.execute(drop)
        for table in _TABLES:
            conn.execute(f"ALTER TABLE {table} SET UNLOGGED")
    start = time.time() - DAYS * 86400
    insert = _requests_sql(start, DAYS * 86400 / n)
    chunks = [
        (insert, {"first": a, "last": min(n, a + _CHUNK) - 1, "body": BODY})
        for a in range(0, n, _CHUNK)
    ]
    phases: list[tuple[str, Any]] = [
        ("requests, properties, scores", lambda: _parallel(url, chunks, say)),
        ("indexes", lambda: _parallel(url, _creates(indexes, facts=False), say)),
        ("rebuild_rollups", lambda: _parallel(url, _rebuilds(url), say)),
        ("score rollups", lambda: _parallel(url, _score_rebuilds(), say)),
        ("fact keys", lambda: _parallel(url, _creates(indexes, facts=True), say)),
        ("vacuum", lambda: _parallel(url, _vacuums(), say)),
    ]
    for label, phase in phases:
        began = time.perf_counter()
        phase()
        spent[label] = time.perf_counter() - began
        say(f"  {label} in {spent[label]:.0f} s")
    return spent


def _creates(
    indexes: list[tuple[str, str, str]], *, facts: bool
) -> list[tuple[str, dict[str, Any] | None]]:
    return [(create, None) for table, _, create in indexes if table.endswith("facts") == facts]


def _rebuilds(url: str) -> list[tuple[str, dict[str, Any] | None]]:
    """The statements of ``store.rebuild_rollups`` (the rollups counted again from
    ``requests``, the fact tables filled again), which it runs in one transaction, here
    on empty tables (its ``DELETE``s are skipped) and on several connections at once, the
    largest (``property_facts``) split by property name."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    # every rollup of the current schema (``rebuild()`` alone leaves out the property
    # splits: a store generated without them answered the users and models reports of one
    # property value with nothing)
    script = rebuild(property_models=True, property_users=True)
    statements = [s for s in script.split(";\n") if s.strip().startswith("INSERT")]
    for sql in rebuild_facts():
        if not sql.startswith("INSERT"):
            continue
        if sql.startswith("INSERT INTO property_facts "):
            statements += [f"{sql} AND p.name = '{name}'" for name in _PROPERTY_NAMES]
        else:
            statements.append(sql)
    return [(sql, None) for sql in statements]


def _score_rebuilds() -> list[tuple[str, dict[str, Any] | None]]:
    """The score rollups counted from ``score_facts`` (filled by the phase before; the
    triggers that keep them are off while generating: without this phase they stayed empty)."""
    scripts = [*rebuild_score_rollup(), *rebuild_user_scores()]
    return [(sql, None) for sql in scripts if sql.startswith("INSERT")]


def _vacuums() -> list[tuple[str, dict[str, Any] | None]]:
    tables = (
        *_TABLES,
        *("rollup_models", "rollup_users", "rollup_properties", "rollup_status"),
        *("rollup_property_models", "rollup_property_users"),
        *("rollup_scores", "rollup_property_scores", "rollup_user_scores"),
    )
    return [(f"VACUUM (FREEZE, ANALYZE) {table}", None) for table in tables]
