"""The dashboard over PostgreSQL (``create_app(database_url=...)``, ``helicone-lite dashboard
--database-url``): every page from the same store code, through a read-only view, the SQL page
read-only and time-limited, actions through the read-write store; and a PostgreSQL URL given
where a file path is expected is refused instead of becoming a SQLite file named after it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from helicone_lite import OptionsError
from helicone_lite.dashboard import create_app
from helicone_lite.reports import FEEDBACK, Reports
from helicone_lite.store import Store, StoreError
from tests.conftest import new_schema

from .conftest import NOW, XSS, fill_crafted

TestClient = pytest.importorskip("starlette.testclient").TestClient

LOCAL = "http://127.0.0.1"
PAGES = (
    "/",
    "/overview/kpis",
    "/overview/charts",
    "/overview/tops",
    "/requests",
    "/requests?status=error&page=2",
    "/sessions",
    "/users",
    "/users?sort=requests",
    "/properties",
    "/prompts",
    "/prompts/xss-prompt",
    "/scores",
    "/alerts",
    "/query?sql=SELECT+model%2C+count(*)+FROM+requests+GROUP+BY+1",
)


@pytest.fixture(scope="module")
def pg_crafted(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The crafted store (XSS in every text field) in a PostgreSQL schema of its own."""
    url = new_schema(postgres_server, "dashboard_crafted")
    fill_crafted(tmp_path_factory.mktemp("pg-home"), database=url)
    return url


@pytest.fixture
def client(pg_crafted: str, tmp_path: Path) -> Iterator[Any]:
    app = create_app(home=tmp_path / "home", database_url=pg_crafted, clock=lambda: NOW)
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as test_client:
        yield test_client
    assert not (tmp_path / "home" / "helicone.db").exists()  # no SQLite file on the side


def test_every_page_renders_from_postgres(client: Any) -> None:
    store = client.app.state.dashboard.view()
    assert store.engine == "postgresql" and store.readonly
    session = store.query("SELECT session_id FROM requests WHERE session_id IS NOT NULL")[0]
    pages = [
        *PAGES,
        f"/sessions/{quote(session['session_id'], safe='')}",
        "/requests/req-007",
        f"/users/{quote(XSS + '1', safe='')}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
        assert "Store error" not in response.text, path
        assert XSS not in response.text, path  # stored text is inert here too
    users = client.get("/users").text
    assert users.count("/users/") >= 3  # the three users, read with user_id = %s probes
    detail = client.get(f"/users/{quote(XSS + '1', safe='')}").text
    assert "req-" in detail or "sess-" in detail


def test_the_view_cannot_write(client: Any) -> None:
    view = client.app.state.dashboard.view()
    conn = view.connect()
    import psycopg

    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM requests")
    with pytest.raises(StoreError, match="read-only"):
        view.write("requests", {"id": "x"})
    with pytest.raises(StoreError, match="read-only"), view.transaction():
        pass
    assert view.query("SELECT count(*) AS n FROM requests") == [{"n": 60}]


def test_query_page_is_read_only_and_time_limited(pg_crafted: str, tmp_path: Path) -> None:
    app = create_app(home=tmp_path, database_url=pg_crafted, query_timeout=1.0)
    client = TestClient(app, base_url=LOCAL, follow_redirects=False)
    ok = client.get("/query", params={"sql": "SELECT count(*) AS n FROM requests"})
    assert "<td>60</td>" in ok.text
    for sql, said in (
        ("DELETE FROM requests", "read-only"),
        ("WITH x AS (DELETE FROM requests RETURNING id) SELECT count(*) FROM x", "read-only"),
        ("SELECT set_config('default_transaction_read_only', 'off', false)", "off"),
        ("DELETE FROM requests", "read-only"),  # the setting went with the rolled-back read
        ("SELECT nope FROM requests", "nope"),
        ("SELECT 1; SELECT 2", "one statement"),
    ):
        assert said in client.get("/query", params={"sql": sql}).text, sql
    assert "time limit" in client.get("/query", params={"sql": "SELECT pg_sleep(5)"}).text
    client.get("/query", params={"sql": "SELECT 1"})  # the reader still works afterwards
    with Store(pg_crafted) as store:
        assert store.query("SELECT count(*) AS n FROM requests") == [{"n": 60}]
    app.state.dashboard.close()


def test_query_page_same_on_both_engines(pg_crafted: str, crafted_home: Path) -> None:
    sql = "SELECT model, count(*) AS n FROM requests GROUP BY model ORDER BY model"
    with Store(pg_crafted, readonly=True) as pg, Store(crafted_home / "helicone.db") as lite:
        assert pg.query_page(sql, timeout=5, max_rows=1) == lite.query_page(
            sql, timeout=5, max_rows=1
        )
        columns, rows, truncated = pg.query_page(sql, timeout=5, max_rows=10)
    assert columns == ["model", "n"] and rows == [("gpt-4o", 30), ("gpt-4o-mini", 30)]
    assert truncated is False


def test_feedback_goes_through_the_read_write_store(client: Any, pg_crafted: str) -> None:
    csrf = client.app.state.dashboard.csrf
    answer = client.post("/requests/req-003/feedback", data={"csrf": csrf, "rating": "up"})
    assert answer.status_code in (200, 303)
    with Store(pg_crafted) as store:
        assert Reports(store).scores_of("req-003").get(FEEDBACK) is True


def test_read_only_store_migrates_nothing(postgres_server: str) -> None:
    url = new_schema(postgres_server, "dashboard_unmigrated")
    with pytest.raises(StoreError, match="read-write once"):
        Store(url, readonly=True)
    import psycopg

    with psycopg.connect(postgres_server, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'dashboard_unmigrated'"
        ).fetchone()
    assert tables == (0,)


def test_cli_dashboard_takes_the_database_url(
    pg_crafted: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helicone_lite.cli import dashboard as command

    served: dict[str, Any] = {}
    uvicorn = pytest.importorskip("uvicorn")
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    args = argparse.Namespace(
        home=str(tmp_path), database_url=pg_crafted, token=None, host="127.0.0.1",
        port=0, open=False,
    )  # fmt: skip
    assert command.run(args) == 0
    state = served["app"].state.dashboard
    assert state.location == pg_crafted and "password" not in state.where
    state.close()


def test_a_postgres_url_is_not_a_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = "postgresql://app:s3cret@db.internal:5432/helicone"
    with pytest.raises(OptionsError, match=r"^db: .*SQLite file path") as caught:
        create_app(home=tmp_path, db=url)
    assert "s3cret" not in str(caught.value)
    for given in (Path(url), "postgresql:/db.internal/helicone", "POSTGRES://x/y"):
        with pytest.raises(OptionsError, match=r"^path: "):
            Store(Path(given) if isinstance(given, str) and "://" in given else given)
    with pytest.raises(OptionsError, match="database_url"):
        create_app(home=tmp_path, database_url="mysql://db/x")
    assert list(tmp_path.rglob("*")) == []  # no 'postgresql:' directory, no SQLite file


def test_pages_in_chromium_over_postgres(pg_crafted: str, tmp_path: Path, page: Any) -> None:
    """The users list and a user's page (the ones the IS ? translation broke) in a real
    Chromium over PostgreSQL: drawn, no console error, stored XSS inert."""
    from .conftest import _serve

    expect = pytest.importorskip("playwright.sync_api").expect
    app = create_app(home=tmp_path, database_url=pg_crafted, clock=lambda: NOW)
    for url in _serve(app):
        for path, heading in (
            ("/users", "Users"),
            ("/users/" + quote(f"{XSS}2", safe=""), f"User {XSS}2"),
            ("/requests?range=all", "Requests"),
        ):
            page.goto(url + path)
            expect(page.locator("h1")).to_have_text(heading)
            expect(page.locator("[data-chart]:not([data-drawn])")).to_have_count(0)
            assert page.evaluate("window.__xss") is None, path
        assert page.locator("table tbody tr").count() > 0
    assert page.errors == []
