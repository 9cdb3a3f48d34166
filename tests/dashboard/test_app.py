"""The dashboard's HTTP surface without a browser: guards, empty state, read-only views,
the query box, page weight, and that ``import helicone_lite`` never loads any of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helicone_lite.dashboard import create_app
from helicone_lite.reports import FEEDBACK, Reports
from helicone_lite.store import Store

from .conftest import NOW

TestClient = pytest.importorskip("starlette.testclient").TestClient

LOCAL = "http://127.0.0.1"


def _client(home: Path, **options: object) -> TestClient:
    return TestClient(create_app(home=home, **options), base_url=LOCAL, follow_redirects=False)


def _csrf(app_client: TestClient) -> str:
    token: str = app_client.app.state.dashboard.csrf
    return token


def test_import_helicone_lite_loads_no_dashboard(fresh_import: dict[str, set[str]]) -> None:
    # tests/conftest.py's fresh interpreter, after `import helicone_lite`
    dashboard = ("helicone_lite.dashboard", "starlette", "uvicorn", "helicone_lite.reports")
    assert [m for m in fresh_import["helicone_lite"] if m.startswith(dashboard)] == []


def test_missing_store_shows_which_file_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    client = _client(home)
    for path in ("/", "/requests", "/sessions", "/prompts", "/query?sql=select+1"):
        response = client.get(path)
        assert response.status_code == 200
        assert "No requests logged yet" in response.text
        assert str(home / "helicone.db") in response.text
    assert (
        client.post(
            "/requests/x/feedback", data={"csrf": _csrf(client), "rating": "up"}
        ).status_code
        == 404
    )
    assert not home.exists()


def test_security_headers_on_every_answer(crafted_home: Path) -> None:
    client = _client(crafted_home)
    for path in ("/", "/requests", "/static/app.js", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


def test_no_inline_script_and_no_other_origin_in_any_page(crafted_home: Path) -> None:
    client = _client(crafted_home, clock=lambda: NOW)
    for path in (
        "/",
        "/overview/kpis",
        "/overview/charts?range=all",
        "/overview/tops?range=all",
        "/requests",
        "/requests/req-001",
        "/sessions",
        "/prompts/xss-prompt",
    ):
        html = client.get(path).text
        scripts = html.count("<script")
        assert scripts == html.count("<script src=")
        assert "http://" not in html.replace(LOCAL, "") and "https://" not in html
        assert "<img src=x" not in html  # the stored payload is escaped


def test_token_guard(crafted_home: Path) -> None:
    client = _client(crafted_home, token="s3cret")
    assert client.get("/").status_code == 401
    assert client.get("/static/app.css").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    entry = client.get("/requests?range=all&token=s3cret")
    assert entry.status_code == 303
    assert entry.headers["location"] == "/requests?range=all"
    assert "HttpOnly" in entry.headers["set-cookie"]
    assert client.get("/requests?range=all").status_code == 200  # the cookie now
    other = TestClient(create_app(home=crafted_home, token="s3cret"), base_url="http://10.1.2.3")
    assert other.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_without_a_token_only_loopback_names_are_served(crafted_home: Path) -> None:
    rebinding = TestClient(create_app(home=crafted_home), base_url="http://evil.example")
    assert rebinding.get("/").status_code == 421
    assert _client(crafted_home).get("/").status_code == 200
    localhost = TestClient(create_app(home=crafted_home), base_url="http://localhost:8787")
    assert localhost.get("/").status_code == 200


def test_posts_need_the_csrf_token_and_the_same_origin(tmp_path: Path) -> None:
    from .conftest import fill_crafted

    fill_crafted(tmp_path, n=3)
    client = _client(tmp_path)
    url = "/requests/req-001/feedback"
    assert client.post(url, data={"rating": "up"}).status_code == 403
    assert client.post(url, data={"rating": "up", "csrf": "guess"}).status_code == 403
    cross = client.post(
        url, data={"rating": "up", "csrf": _csrf(client)}, headers={"Origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    assert client.get(url).status_code in (404, 405)  # a GET changes nothing
    store = Store(tmp_path / "helicone.db")
    try:
        assert Reports(store).scores_of("req-001") == {}
        done = client.post(
            url, data={"rating": "down", "csrf": _csrf(client)}, headers={"Origin": LOCAL}
        )
        assert done.status_code == 303
        assert Reports(store).scores_of("req-001") == {FEEDBACK: False}
    finally:
        store.close()


def test_query_is_read_only_and_time_limited(crafted_home: Path) -> None:
    # the runaway query never ends; the limit leaves the quick one time on a loaded machine
    client = _client(crafted_home, query_timeout=1.0)
    ok = client.get("/query", params={"sql": "SELECT count(*) AS n FROM requests"})
    assert "<td>60</td>" in ok.text
    for sql, said in (
        ("DELETE FROM requests", "read-only"),
        ("ATTACH DATABASE '/tmp/x.db' AS x", "read-only"),
        ("PRAGMA user_version = 9", "read-only"),
        ("SELECT nope FROM requests", "no such column"),
    ):
        assert said in client.get("/query", params={"sql": sql}).text, sql
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    assert "time limit" in client.get("/query", params={"sql": slow}).text
    assert (
        Store(crafted_home / "helicone.db").query("SELECT count(*) AS n FROM requests")[0]["n"]
        == 60
    )


def test_invisible_controls_in_stored_text_are_shown_not_obeyed(crafted_home: Path) -> None:
    """A right-to-left override makes ``evil`` read ``live``: every printed value shows it
    (and zero-width and control characters) as an escape, as the terminal does; newlines and
    tabs stay layout."""
    client = _client(crafted_home)
    sql = "SELECT 'a' || char(8238) || 'evil' || char(8203) || char(27) || 'b' AS v"
    page = client.get("/query", params={"sql": sql}).text
    assert "<td>a\\u202eevil\\u200b\\x1bb</td>" in page
    assert not any(c in page for c in ("\u202e", "\u200b", "\x1b"))


def test_views_read_through_a_read_only_store(crafted_home: Path) -> None:
    client = _client(crafted_home)
    client.get("/requests")
    state = client.app.state.dashboard
    view = state.view()
    assert view.readonly
    with pytest.raises(sqlite3.DatabaseError, match=r"not authorized"):
        view.connect().execute("DELETE FROM requests")


def test_bad_filters_are_a_400_page_naming_the_option(crafted_home: Path) -> None:
    client = _client(crafted_home)
    for path, said in (
        ("/requests?status=bogus", "status"),
        ("/requests?sort=sideways", "sort"),
        ("/requests?range=fortnight", "range"),
        ("/requests?prop=novalue", "prop"),
        ("/sessions/does-not-exist", "does-not-exist"),
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert said in response.text and "Traceback" not in response.text


def test_pages_weigh_under_300_kb(crafted_home: Path) -> None:
    client = _client(crafted_home, clock=lambda: NOW)
    static = sum(
        len(client.get(f"/static/{name}").content)
        for name in (
            "app.css",
            "app.js",
            "vendor/htmx-2.0.11.min.js",
            "vendor/uPlot-1.6.32.iife.min.js",
            "vendor/uPlot-1.6.32.min.css",
        )
    )
    panels = sum(len(client.get(f"/overview/{p}").content) for p in ("kpis", "charts", "tops"))
    assert static + len(client.get("/").content) + panels < 300_000
    for path in ("/requests?range=all&per=200", "/sessions", "/users", "/prompts/xss-prompt"):
        assert static + len(client.get(path).content) < 300_000, path


def test_live_fragment_is_only_the_live_block(crafted_home: Path) -> None:
    client = _client(crafted_home, clock=lambda: NOW)
    full = client.get("/requests?range=all")
    fragment = client.get("/requests?range=all&live=1", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="live"')
    assert "<html" not in fragment.text and "<html" in full.text
    assert "60</b> requests" in fragment.text


def test_mounted_under_a_prefix(crafted_home: Path) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    outer = Starlette(routes=[Mount("/llm", app=create_app(home=crafted_home))])
    client = TestClient(outer, base_url=LOCAL)
    html = client.get("/llm/requests").text
    assert 'href="/llm/sessions"' in html and 'src="/llm/static/app.js"' in html
    assert client.get("/llm/static/app.css").status_code == 200
