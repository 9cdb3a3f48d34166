"""A migration for reading at scale on PostgreSQL: indexes shaped for PostgreSQL's planner,
and SQLite's ``julianday('now')`` (both engines, one SQL).

SQLite's report indexes (``_reports_schema.py``) are wide *covering* indexes because SQLite
cannot read part of a table row: every column a report touches is a key column. PostgreSQL
reads the views' joins (``property_facts`` is ``request_properties`` joined with
``requests``) through these instead:

* ``idx_requests_facts``: ``requests (id) INCLUDE (<the fact columns>)``: the join from a
  property (or a score) to its request is an index-only lookup instead of a visit to the wide
  row (which holds the bodies);
* ``idx_request_properties_facts``: ``request_properties (name, value) INCLUDE
  (request_id)``: one property value's requests without visiting the table. It replaces
  ``idx_request_properties_name_value`` (the same keys without the request id);
* ``idx_requests_user_time``: ``requests (user_id, created_at)``: a user's first and last
  request in an hour (the users report's exact first/last seen, one lookup per user and end)
  is one descent; ``idx_requests_user`` is ordered by latency within a user (for the p95),
  so it read all of a user's entries per lookup.

Each costs the writer one more b-tree entry per row (``idx_requests_facts``,
``idx_requests_user_time``); benchmarks/README.md has the writer's figures with them.

``julianday(text)`` (defined by v1 for PostgreSQL) gains SQLite's ``'now'``: the current UTC
time of the statement, whatever the session's time zone (PostgreSQL's own ``'now'`` text is
local time). ``julianday(created_at) >= julianday('now') - 7`` then means the last seven days
on both engines (the dashboard's example queries use it). ``round(x, digits)`` of a float
(SQLite's; PostgreSQL rounds only ``numeric`` to digits) is defined too.

SQLite's twin (:data:`READING_MIGRATION`) does nothing: the version numbers stay in step.
"""

from __future__ import annotations

__all__ = ["PG_READING_MIGRATION", "READING_MIGRATION"]

#: the columns of ``requests`` the fact views read (``_pg_schema._FACT_COLUMNS``)
_FACT_COLUMNS = (
    "created_at, user_id, provider, model, status, cost_usd, total_tokens, latency_ms, "
    "cache_status, session_id, prompt_id, prompt_version"
)

READING_MIGRATION = ""

PG_READING_MIGRATION = f"""
CREATE OR REPLACE FUNCTION julianday(ts text) RETURNS double precision
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT extract(epoch FROM (CASE WHEN lower(ts) = 'now'
        THEN statement_timestamp() AT TIME ZONE 'UTC'
        ELSE replace(ts, 'Z', '')::timestamp END)) / 86400.0 + 2440587.5 $$;
CREATE FUNCTION round(x double precision, digits integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT round(x::numeric, digits)::double precision $$;
CREATE INDEX idx_requests_facts ON requests (id) INCLUDE ({_FACT_COLUMNS});
CREATE INDEX idx_request_properties_facts ON request_properties (name, value)
    INCLUDE (request_id);
DROP INDEX idx_request_properties_name_value;
CREATE INDEX idx_requests_user_time ON requests (user_id, created_at);
"""
