"""PostgreSQL: a writer's batch pays for what it holds (schema "quiet writer").

A one-row batch cost the server ~5-9 ms of CPU, most of it fixed (benchmarks/README.md,
"The PostgreSQL batch's fixed cost"). Besides planning its statements once
(``_pg_plans.py``), the writer now spares two kinds of fixed work:

* **Statements that would find nothing.** The batch's closing statements join its new
  requests (``NEW_REQUESTS``) to their scores and properties. The capture of the new
  requests answers how many it inserted and whether any already has a score (scored before
  it was logged) or, for a batch without property rows, a property (written on its own
  before its request): one index probe a request (``capture_counted``). The statements whose
  input is then empty are not run: ``score_facts``/``score_property_facts`` (and the
  statement triggers on those tables, which fire even for zero rows) in nearly every batch,
  the property facts and rollups in a batch without properties, all of them when the batch
  inserted no request. The fallback paths (multi-row ``INSERT``s, row by row) run them all.
* **Statement triggers that stand aside.** The insert triggers on ``requests`` and
  ``request_properties`` stand aside for the writer's rows (``helicone_lite.batch``,
  ``.facts``, ``.sessions``) but were still called: a PL/pgSQL call each, and the writer's
  ``INSERT ... ON CONFLICT DO UPDATE`` into ``request_properties`` also fired its four
  update triggers, which do not stand aside and ran their statements over empty transition
  tables (~1 ms a batch together). The migration ``_quiet_triggers.py`` gives those triggers
  ``WHEN (current_setting('helicone_lite.writer', true) IS DISTINCT FROM 'on')``: the server
  does not call them at all in a transaction that sets it. The writer sets it (COPY path)
  only when every property row of the batch belongs to one of its requests, and then
  inserts only the properties whose request it really inserted (``only_new``): the batch's
  own statements count exactly those, so nothing is left for a trigger. A batch carrying a
  property for an earlier request (``Store.write("request_properties", ...)``) does not set
  it: the triggers do their part, as before. Other writers (an older version, hand-written
  SQL, ``reprice``, prune) never set it: the triggers run for them as before.

The one difference from before: a request the batch did not insert (its id was logged
meanwhile by another process) keeps its logged properties; the batch's copies of them are
not written (as on SQLite, ``_sink_rollups.py``; ``first_of_each`` already drops such rows
when the id was logged before the batch began).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._facts_schema import pg_batch_facts
from ._pg_plans import Tagged
from ._quiet_triggers import WRITER_SETTING
from ._rollup_batch import PG_ROLLUP_LOCK, pg_batch_upserts
from ._rollup_names import NEW_REQUESTS
from ._rollup_property_models import SPLIT as PROPERTY_MODELS
from ._rollup_property_users import SPLIT as PROPERTY_USERS
from ._rollup_sessions import pg_batch_sessions
from ._rows import PreparedRow
from ._schema import (
    FACTS_BY_WRITER_VERSION,
    PROPERTY_MODELS_VERSION,
    PROPERTY_USERS_VERSION,
    SESSION_ROLLUP_VERSION,
    STATUS_ROLLUP_VERSION,
)
from ._sink_rollups import columns_of, table_of

if TYPE_CHECKING:
    from ._dialect import StagedInsert

__all__ = [
    "PG_WRITER_ON",
    "PROPERTIES",
    "SCORES",
    "Needs",
    "closing_statements",
    "only_new",
    "outside_properties",
    "tagged",
    "wanted",
]

#: a closing statement's inputs besides the new requests
PROPERTIES, SCORES = "properties", "scores"
Needs = frozenset[str]

PG_WRITER_ON = f"SELECT set_config('{WRITER_SETTING}', 'on', true)"


def wanted(captured: int, scores: bool, properties: bool) -> Needs | None:
    """The inputs a batch's closing statements have (None: run none of them)."""
    if not captured:
        return None
    return frozenset(
        name for name, present in ((SCORES, scores), (PROPERTIES, properties)) if present
    )


def outside_properties(prepared: list[PreparedRow]) -> bool:
    """Whether a ``request_properties`` row of the batch is for a request that is not one
    of the batch's: a property written on its own, for a call logged earlier."""
    ids: set[object] = set()
    loose: list[tuple[str, tuple[object, ...]]] = []
    where: dict[str, tuple[str, int]] = {}  # sql -> (its table, the id's position)
    for statements in prepared:
        sql, params = statements[0]
        found = where.get(sql)
        if found is None:
            found = where[sql] = _table_and_id(sql)
        if found[0] == "requests":
            ids.add(params[found[1]])
        elif found[0] == "request_properties":
            loose.append((sql, params))
    return any(params[where[sql][1]] not in ids for sql, params in loose)


def _table_and_id(sql: str) -> tuple[str, int]:
    table = table_of(sql)
    column = {"requests": "id", "request_properties": "request_id"}.get(table)
    if column is None:
        return table, -1
    return table, columns_of(sql).index(column)


def only_new(plan: StagedInsert) -> str:
    """``plan``'s insert of ``request_properties`` for the requests the batch inserted."""
    names = ", ".join(plan.columns)
    return (
        f"INSERT INTO {plan.table} ({names}) SELECT {names} FROM {plan.stage} "
        f"WHERE request_id IN (SELECT id FROM {NEW_REQUESTS}){plan.tail}"
    )


def tagged(statements: list[str]) -> list[Tagged]:
    return [(sql, frozenset()) for sql in statements]


def closing_statements(version: int) -> list[Tagged]:
    """The batch's fact and rollup statements for a schema at ``version``, each with the
    inputs it reads besides the new requests: the facts first (they need no lock), then the
    rollups under the lock, the sessions last."""
    p, s = frozenset({PROPERTIES}), frozenset({SCORES})
    status = version >= STATUS_ROLLUP_VERSION  # (an older schema: no rollup_status)
    models, users, properties, *by_status = pg_batch_upserts(status=status)
    out: list[Tagged] = []
    if version >= FACTS_BY_WRITER_VERSION:
        out += zip(pg_batch_facts(), (p, s, p | s), strict=True)
    out += [(PG_ROLLUP_LOCK, frozenset()), (models, frozenset()), (users, frozenset())]
    out += [(properties, p), *tagged(by_status)]
    for split, since in (
        (PROPERTY_MODELS, PROPERTY_MODELS_VERSION),
        (PROPERTY_USERS, PROPERTY_USERS_VERSION),
    ):
        if version >= since:
            out.append((split.batch_upsert(NEW_REQUESTS), p))
    if version >= SESSION_ROLLUP_VERSION:
        out += tagged(pg_batch_sessions())
    return out
