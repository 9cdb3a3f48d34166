"""A fork with a store open, on both engines: the fork hooks run without error, the parent
keeps its writer and the child gets its own (PostgreSQL once crashed in the hook: it read a
SQLite-only ``busy_timeout``)."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from store_workers import request_row

from helicone_lite.store import Store

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available")


def test_fork_hooks_run_cleanly_and_both_processes_write(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)  # fork hooks report here
    store = Store(database)
    store.write("requests", request_row(user_id="parent"))
    assert store.flush()

    pid = os.fork()
    if pid == 0:  # child: its own writer must write (and the hooks must not have failed)
        code = 1
        try:
            store.write("requests", request_row(user_id="child"))
            code = 0 if store.flush(timeout=60) and not unraisable else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert [u.exc_value for u in unraisable] == []
    assert os.waitstatus_to_exitcode(status) == 0
    store.write("requests", request_row(user_id="parent"))
    assert store.flush()
    users = store.query("SELECT user_id, count(*) AS n FROM requests GROUP BY user_id")
    assert {r["user_id"]: r["n"] for r in users} == {"parent": 2, "child": 1}
    store.close()
