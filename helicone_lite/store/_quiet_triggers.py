"""Schema v24 ("quiet writer"): the insert triggers PostgreSQL's writer spares are not called.

The statement-level insert triggers on ``requests`` and ``request_properties`` (and the
update triggers of ``request_properties``, fired by the writer's ``ON CONFLICT DO UPDATE``)
get ``WHEN (current_setting('helicone_lite.writer', true) IS DISTINCT FROM 'on')``: in a
transaction that sets it (the writer's batch, when every property row it holds belongs to
one of its requests: ``_pg_batch.py``) the server does not call them; for everything else
(hand-written SQL, an older writer, ``reprice``, prune, a property written on its own) they
run as before. Every other trigger is unchanged. A later migration that recreates one of
these triggers must keep the ``WHEN``. SQLite: nothing (its writer path has no insert
triggers since v7 and v11). SQL text only.
"""

from __future__ import annotations

__all__ = ["PG_QUIET_TRIGGERS_MIGRATION", "QUIET_TRIGGERS_MIGRATION", "WRITER_SETTING"]

#: set (transaction-local) by a writer whose batch counts everything it writes itself
WRITER_SETTING = "helicone_lite.writer"
_QUIET = f"current_setting(''{WRITER_SETTING}'', true) IS DISTINCT FROM ''on''"

#: the insert triggers of both tables and the update triggers of ``request_properties``
#: (fired by ``ON CONFLICT DO UPDATE``) get a ``WHEN``; every other trigger is unchanged
PG_QUIET_TRIGGERS_MIGRATION = f"""
DO $quiet$
DECLARE t record;
BEGIN
    FOR t IN SELECT g.tgname, c.relname, pg_get_triggerdef(g.oid) AS def
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal
          AND g.tgqual IS NULL
          AND ((c.relname = 'requests' AND g.tgtype & 4 <> 0)
               OR (c.relname = 'request_properties' AND g.tgtype & (4 | 16) <> 0))
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t.tgname, t.relname);
        EXECUTE replace(t.def, ' FOR EACH STATEMENT EXECUTE ',
                        ' FOR EACH STATEMENT WHEN ({_QUIET}) EXECUTE ');
    END LOOP;
END
$quiet$;
"""
#: its SQLite twin: nothing (SQLite's writer path has no insert triggers since v7 and v11)
QUIET_TRIGGERS_MIGRATION = "SELECT 24;  -- quiet writer: PostgreSQL's only\n"
