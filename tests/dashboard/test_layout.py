"""The dashboard's layout in a real Chromium at a phone's width, and its charts' shapes.

At 390 px the side navigation used to keep its 212 px, squeezing every page into the rest
and pushing tables, charts and the session tree off the right edge (the page scrolled
sideways). Now the navigation is a bar across the top and nothing is wider than the screen.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from helicone_lite.store import Store, iso_from_epoch

from .conftest import ARTIFACTS, NOW, Server, _serve, create_app
from .test_browser import SHOWN, every_page, page_name

expect = pytest.importorskip("playwright.sync_api").expect

NARROW = {"width": 390, "height": 844}


def test_every_page_fits_a_phone_screen(browser: Any, demo_server: Server) -> None:
    pages = every_page(demo_server)
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=NARROW, color_scheme=scheme)
        tab = context.new_page()
        for path, heading in pages:
            tab.goto(demo_server.url + path)
            expect(tab.locator("h1")).to_have_text(heading)
            expect(tab.locator(".panel:empty")).to_have_count(0)
            expect(tab.locator("[data-chart]:not([data-drawn])")).to_have_count(0)
            wide = tab.evaluate("document.documentElement.scrollWidth")
            assert wide <= NARROW["width"], (path, scheme, wide)
            # the navigation is a bar above the heading, and the heading has the full width
            nav = tab.locator(".sidebar").bounding_box()
            title = tab.locator("h1").bounding_box()
            assert nav is not None and title is not None
            assert nav["y"] + nav["height"] <= title["y"], path
            assert title["x"] < 40, path
            if page_name(path) in SHOWN:
                name = re.sub(r"[^a-z]+", "-", path.split("?")[0].strip("/") or "overview")[:24]
                tab.screenshot(path=str(ARTIFACTS / f"narrow-{scheme}-{name}.png"), full_page=True)
        # every section stays reachable: the bar scrolls sideways to the last one
        last = tab.locator(".sidebar nav a").last
        last.scroll_into_view_if_needed()
        last.click()
        expect(tab.locator("h1")).to_have_text("Query")
        context.close()


def test_a_user_with_one_active_day_charts_every_day_of_the_range(
    page: Any, demo_server: Server
) -> None:
    """The user's cost chart has a point for each day of the range (zeros included), as
    the overview's charts do: one lone point made the chart's time axis span years."""
    page.goto(demo_server.url + "/users/demo-user")
    chart = page.locator("#chart-user-cost")
    expect(chart).to_have_attribute("data-drawn", "1")
    data = json.loads(chart.get_attribute("data-chart") or "{}")
    days = data["x"]
    assert len(days) == 8  # the last 7 days, touching 8 calendar days
    assert all(b - a == 86400 for a, b in itertools.pairwise(days))
    costs = data["series"][0]["values"]
    assert len(costs) == 8 and sum(1 for c in costs if c) == 1


LONG = "u-" + "x" * 300  # one unbroken word of stored text (a user id, a session id, a value)


@pytest.fixture(scope="module")
def long_text_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("long-text")
    store = Store(home / "helicone.db")
    for i in range(4):
        store.write(
            "requests",
            {
                "id": f"long-{i}",
                "created_at": iso_from_epoch(NOW - 600 + i),
                "model": "gpt-4o-mini",
                "provider": "openai",
                "status": 200,
                "cost_usd": 0.001,
                "latency_ms": 10.0,
                "user_id": f"{LONG}{i % 2}",
                "session_id": f"{LONG}-session",
                "properties": {"department": LONG},
            },
        )
    store.close()
    app = create_app(home=home, clock=lambda: NOW)
    for url in _serve(app):
        yield Server(url, app, home)


def test_long_stored_words_wrap_inside_their_cells(browser: Any, long_text_server: Server) -> None:
    # a 300-character user id used to push every other column out of the users card (the
    # card clips what overflows): each page's cards hold their tables
    for scheme in ("light", "dark"):
        tab = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page = tab.new_page()
        for path in ("/", "/sessions", "/properties", "/requests", "/users"):
            page.goto(long_text_server.url + path)
            clipped = page.evaluate(
                "[...document.querySelectorAll('.card')]"
                ".filter(c => c.scrollWidth > c.clientWidth + 1).length"
            )
            assert clipped == 0, (path, scheme)
        page.screenshot(path=str(ARTIFACTS / f"long-words-users-{scheme}.png"))
        tab.close()
