"""The dashboard in a real Chromium: every page, the session tree, filters, sorting and paging,
feedback, prompt versions, live updates, stored XSS, and screenshots of it all."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from helicone_lite.prompts import PromptRegistry
from helicone_lite.reports import FEEDBACK, Reports
from helicone_lite.store import Store

from .conftest import ARTIFACTS, XSS, Server

expect = pytest.importorskip("playwright.sync_api").expect

PAGES = (
    ("/", "Overview"),
    ("/requests", "Requests"),
    ("/sessions", "Sessions"),
    ("/users", "Users"),
    ("/threats", "Threats"),
    ("/properties", "Properties"),
    ("/prompts", "Prompts"),
    ("/scores", "Scores"),
    ("/cache", "Cache"),
    ("/limits", "Rate limits"),
    ("/alerts", "Alerts"),
    ("/query?sql=SELECT+model%2C+count(*)+FROM+requests+GROUP+BY+1", "Query"),
)


#: the pages docs/dashboard.md shows (overview, requests, a request, a session, prompts): their
#: full-page screenshots, light and dark, are the ones a person looks at; every other page is
#: loaded and checked in both schemes all the same, without rendering a picture of it
SHOWN = ("overview", "requests", "requests-detail", "sessions-detail", "prompts")


def page_name(path: str) -> str:
    """``/`` is overview, ``/requests`` requests, ``/requests/<id>`` requests-detail."""
    parts = path.split("?")[0].strip("/").split("/")
    return (parts[0] or "overview") + ("-detail" if len(parts) > 1 else "")


def _shot(tab: Any, name: str) -> None:
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _first(store_home: Path, sql: str) -> Any:
    store = Store(store_home / "helicone.db")
    try:
        return store.query(sql)[0]
    finally:
        store.close()


def every_page(server: Server) -> list[tuple[str, str]]:
    """The fixed pages plus one session, one request and one user of the demo store."""
    session = _first(server.home, "SELECT session_id FROM requests WHERE session_id IS NOT NULL")
    request = _first(server.home, "SELECT id FROM requests ORDER BY created_at DESC")
    return [
        *PAGES,
        (f"/sessions/{session['session_id']}", "Session"),
        (f"/requests/{request['id']}", "Request"),
        ("/users/patient-7829", "User patient-7829"),
    ]


def _same_origin(tab: Any, base: str) -> None:
    others = [u for u in tab.requested if not (u.startswith(base) or u.startswith("data:"))]
    assert others == []


def test_every_page_loads_in_light_and_dark(browser: Any, demo_server: Server) -> None:
    pages = every_page(demo_server)
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
        tab = context.new_page()
        errors: list[str] = []
        requested: list[str] = []
        tab.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        tab.on("request", lambda r, requested=requested: requested.append(r.url))
        for path, heading in pages:
            tab.goto(demo_server.url + path)
            expect(tab.locator("h1")).to_have_text(heading)
            expect(tab.locator(".panel:empty")).to_have_count(0)  # lazy panels loaded
            expect(tab.locator("[data-chart]:not([data-drawn])")).to_have_count(0)
            assert tab.locator(".sidebar nav a").count() == 12
            if page_name(path) in SHOWN:
                _shot(tab, f"{page_name(path)}-{scheme}")
        assert errors == []  # no script error and no CSP violation on any page
        assert [u for u in requested if not u.startswith(demo_server.url)] == []
        context.close()


def test_threats_page_lists_users_by_threats(page: Any, threats_server: Server) -> None:
    page.goto(threats_server.url + "/threats?range=all")
    expect(page.locator("h1")).to_have_text("Threats")
    rows = page.locator("table.threats tbody tr")
    expect(rows).to_have_count(3)  # eve, mallory, trudy: patient-7829 had no threat
    expect(rows.first).to_contain_text("mallory")
    expect(rows.first).to_contain_text("prompt_injection \u00d7 2")
    expect(page.locator('.sidebar nav a[aria-current="page"]')).to_have_text("Threats")
    _shot(page, "threats-light")
    page.click(".table-meta .seg a:text-is('score')")
    expect(rows.first).to_contain_text("eve")  # 1.00, the highest score
    assert "sort=score" in page.url
    rows.first.locator("a").first.click()
    expect(page.locator("h1")).to_have_text("User eve")


def test_overview_draws_charts(page: Any, demo_server: Server) -> None:
    page.goto(demo_server.url + "/?range=all")
    expect(page.locator(".chart .uplot")).to_have_count(2)
    expect(page.locator(".kpi").first).to_contain_text("Cost this month")
    # a model has one colour in every chart, whatever order each chart lists its series in
    legends = page.evaluate(
        """() => [...document.querySelectorAll('.chart .uplot')].map(chart =>
            Object.fromEntries([...chart.querySelectorAll('.u-legend .u-series')].slice(1).map(
                s => [s.querySelector('.u-label').textContent,
                      s.querySelector('.u-marker').style.borderColor])))"""
    )
    cost, requests = legends
    shared = set(cost) & set(requests)
    assert len(shared) >= 2, legends
    assert {m: cost[m] for m in shared} == {m: requests[m] for m in shared}
    # counts are whole numbers on the axis: no 2.5 tick printed as "3"
    ticks = page.locator(".chart .uplot").nth(1).locator(".u-axis").nth(1).inner_text().split()
    assert all(float(t.replace(",", "")) % 1 == 0 for t in ticks), ticks


def test_session_tree_collapses_expands_and_opens_a_conversation(
    page: Any, demo_server: Server
) -> None:
    row = _first(
        demo_server.home,
        "SELECT session_id FROM requests WHERE session_path = '/triage/analysis' LIMIT 1",
    )
    page.goto(f"{demo_server.url}/sessions/{row['session_id']}")
    node = page.locator('details[data-path="/triage/analysis"]')
    expect(node).to_have_attribute("open", "")
    child = page.locator('details[data-path="/triage/analysis/lab-review"]')
    expect(child).to_be_visible()
    node.locator("> summary").click()
    expect(node).not_to_have_attribute("open", "")
    expect(child).to_be_hidden()
    node.locator("> summary").click()
    expect(child).to_be_visible()
    child.locator(".leaf").first.click()
    expect(page.locator("#conversation .msg").first).to_be_visible()
    expect(page.locator("#conversation")).to_contain_text("Review labs")
    assert page.url.endswith(row["session_id"])  # htmx loaded it in place
    _shot(page, "session-conversation-light")


def test_filter_goes_into_the_url_and_narrows_the_rows(page: Any, demo_server: Server) -> None:
    page.goto(demo_server.url + "/requests?range=all")
    before = page.locator("table.requests tbody tr").count()
    page.fill("input[name=model]", "gpt-4o")
    page.click(".filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"model=gpt-4o(&|$)"))
    expect(page.locator(".chip").first).to_contain_text("model: gpt-4o")
    page.wait_for_load_state()  # the whole filtered page parsed before its rows are counted
    rows = page.locator("table.requests tbody tr")
    assert 0 < rows.count() < before
    assert set(rows.locator("td:nth-child(3) .model").all_inner_texts()) == {"gpt-4o"}
    expect(page.locator(".chip").first).to_contain_text("model: gpt-4o")


def test_requests_sort_and_page(page: Any, crafted_server: Server) -> None:
    # A click starts a navigation and returns once its URL commits, before the new page's
    # rows exist: every read of the rows below waits for them through `expect` first.
    page.goto(crafted_server.url + "/requests?range=all&per=25")
    expect(page.locator(".table-meta")).to_contain_text("60 requests")
    ids = page.locator("table.requests tbody td:nth-child(2)")
    expect(ids).to_have_count(25)
    first_page = ids.all_inner_texts()
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("a[rel=prev]")).to_be_visible()  # page 2's own markup
    expect(ids).to_have_count(25)
    second = ids.all_inner_texts()
    assert not set(first_page) & set(second)
    page.click("th a.sort:has-text('Cost')")
    expect(page).to_have_url(re.compile(r"sort=cost"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["sort"] == ["cost"] and query["dir"] == ["desc"] and "page" not in query
    costs = page.locator("table.requests tbody td:nth-child(8)")
    expect(costs.first).to_have_text("$0.006000")  # the costliest of the 60 first
    page.click("th a.sort:has-text('Cost')")
    expect(page).to_have_url(re.compile(r"dir=asc"))
    expect(costs.first).to_have_text("$0.000100")


def test_feedback_and_score_are_stored(page: Any, demo_server: Server) -> None:
    row = _first(demo_server.home, "SELECT id FROM requests WHERE status = 200 LIMIT 1")
    page.goto(f"{demo_server.url}/requests/{row['id']}")
    page.click("button[value=up]")
    expect(page.locator(".flash")).to_contain_text("feedback")
    page.fill(".score-form input[name=name]", "accuracy")
    page.fill(".score-form input[name=value]", "92")
    page.click(".score-form button")
    expect(page.locator(".flash")).to_contain_text("score")
    store = Store(demo_server.home / "helicone.db")
    try:
        assert Reports(store).scores_of(row["id"]) == {FEEDBACK: True, "accuracy": 92}
    finally:
        store.close()
    expect(page.locator(".table.kv").first).to_contain_text(FEEDBACK)


def test_create_deploy_and_roll_back_a_prompt(page: Any, demo_server: Server) -> None:
    page.goto(demo_server.url + "/prompts")
    page.fill("input[name=prompt_id]", "browser-made")
    page.fill("input[name=model]", "gpt-4o-mini")
    page.click("form.editor button[type=submit]")
    expect(page).to_have_url(re.compile(r"/prompts/browser-made\?saved="))
    page.fill("form.editor textarea", '[{"role": "system", "content": "Version two"}]')
    page.click("form.editor button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("version 2 saved")
    page.click("button[data-deploy='1']")
    expect(page.locator(".flash")).to_contain_text("version 1 deployed to production")
    page.click("button[data-deploy='2']")
    expect(page.locator(".flash")).to_contain_text("version 2 deployed to production")
    page.click("button:has-text('Roll back')")
    expect(page.locator(".flash")).to_contain_text("production rolled back to version 1")
    expect(page.locator("pre.diff")).to_contain_text("Version two")
    _shot(page, "prompt-light")
    store = Store(demo_server.home / "helicone.db")
    try:
        registry = PromptRegistry(store)
        assert registry.get("browser-made", environment="production").version == 1
        assert [m.action for m in registry.history("browser-made")] == [
            "deploy",
            "deploy",
            "rollback",
        ]
    finally:
        store.close()


def test_live_overview_and_requests_update_without_a_reload(page: Any, demo_server: Server) -> None:
    page.goto(demo_server.url + "/requests?range=all")
    page.evaluate("window.__same_document = true")
    total = page.locator(".table-meta b").inner_text()
    store = Store(demo_server.home / "helicone.db")
    try:
        store.write("requests", {"id": "live-new", "model": "live-model", "status": 200})
        store.flush()
    finally:
        store.close()
    expect(page.locator("table.requests")).to_contain_text("live-model")
    assert page.locator(".table-meta b").inner_text() != total
    assert page.evaluate("window.__same_document") is True  # no full page load happened
    page.goto(demo_server.url + "/?range=all")
    page.evaluate("window.__same_document = true")
    label = page.locator(".kpi-label", has_text=re.compile(r"^Requests$"))
    requests_card = page.locator(".kpi", has=label)
    before = requests_card.locator(".kpi-value").inner_text()
    store = Store(demo_server.home / "helicone.db")
    try:
        store.write("requests", {"id": "live-new-2", "model": "live-model", "status": 200})
        store.flush()
    finally:
        store.close()
    expect(requests_card.locator(".kpi-value")).not_to_have_text(before)
    assert page.evaluate("window.__same_document") is True


def test_stored_xss_stays_text_on_every_page(page: Any, crafted_server: Server) -> None:
    paths = [
        *(p for p, _ in PAGES),
        "/requests/req-000",
        "/requests/req-000/thread",
        "/sessions/" + quote(f"sess-{XSS}-0", safe=""),
        "/users/" + quote(f"{XSS}0", safe=""),
        "/properties?name=department",
        "/prompts/xss-prompt",
        "/query?sql=SELECT+user_id,+error+FROM+requests",
    ]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in paths:
        page.goto(crafted_server.url + path + ("&" if "?" in path else "?") + "range=all")
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("img[src='x']").count() == 0, path
        assert page.locator("script:not([src])").count() == 0, path
    page.goto(crafted_server.url + "/requests/req-000")
    expect(page.locator(".thread")).to_contain_text(f"user {XSS}")  # shown, as text
    _shot(page, "xss-request-light")
    assert dialogs == []
    _same_origin(page, crafted_server.url)
