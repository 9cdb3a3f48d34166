"""Dashboard fixtures: stores (the demo's and a crafted one), a live server, a real Chromium.

Chromium is Debian's (``apt-get install chromium``), driven by the ``playwright`` package; no
browser is downloaded. Without it the browser tests skip, unless
``HELICONE_LITE_REQUIRE_CHROMIUM=1`` (scripts/test.sh sets it), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

from helicone_lite.dashboard import create_app  # noqa: E402
from helicone_lite.store import Store, iso_from_epoch  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>"\'&'
NOW = 1_764_900_000.0  # 2025-12-05T02:00Z: the crafted store's "now"


@dataclass
class Server:
    url: str
    app: Any
    home: Path


def _serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; its socket listens before the thread
    starts, so the first request queues instead of racing the start-up."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.dashboard.close()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home filled by ``helicone-lite demo`` (against the built-in fake provider)."""
    from helicone_lite.cli import main

    home = tmp_path_factory.mktemp("demo-home")
    assert main(["--home", str(home), "demo", "--offline"]) == 0
    return home


def fill_crafted(home: Path, n: int = 60, database: str | None = None) -> None:
    """A store whose every text field is an XSS payload, with ``n`` requests (for paging);
    the home's file, or ``database`` (a PostgreSQL URL)."""
    store = Store(database or home / "helicone.db")
    for i in range(n):
        body = {
            "model": XSS,
            "messages": [
                {"role": "system", "content": f"system {XSS}"},
                {"role": "user", "content": f"user {XSS}"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": XSS, "arguments": XSS},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": XSS, "content": f"tool {XSS}"},
            ],
        }
        answer = {"choices": [{"message": {"role": "assistant", "content": f"answer {XSS}"}}]}
        store.write(
            "requests",
            {
                "id": f"req-{i:03d}",
                "created_at": iso_from_epoch(NOW - 3600 + i * 10),
                "model": f"gpt-4o{'-mini' if i % 2 else ''}",
                "provider": "openai",
                "status": 500 if i % 7 == 0 else 200,
                "error": f"boom {XSS}" if i % 7 == 0 else None,
                "prompt_tokens": 10 + i,
                "completion_tokens": 5 + i,
                "total_tokens": 15 + 2 * i,
                "cost_usd": 0.0001 * (i + 1),
                "latency_ms": 100.0 + i,
                "user_id": f"{XSS}{i % 3}",
                "session_id": f"sess-{XSS}-{i % 4}",
                "session_path": f"/{XSS}/step{i % 2}",
                "session_name": f"name {XSS}",
                "properties": {"department": XSS, XSS: "value"},
                "prompt_id": "xss-prompt" if i % 5 == 0 else None,
                "request_body": json.dumps(body),
                "response_body": json.dumps(answer),
                "cache_status": "HIT" if i % 6 == 0 else "MISS",
            },
        )
    store.flush()
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO alerts (id, name, metric, threshold, window_seconds, channels) "
            "VALUES (?, ?, 'cost', 1.0, 3600, ?)",
            ("a1", XSS, json.dumps([XSS])),
        )
        conn.execute(
            "INSERT INTO alert_events (alert_id, fired_at, value, message) VALUES (?, ?, 2, ?)",
            ("a1", iso_from_epoch(NOW - 60), XSS),
        )
    from helicone_lite.prompts import PromptRegistry

    PromptRegistry(store).create(
        "xss-prompt", [{"role": "system", "content": f"hello {XSS}"}], "gpt-4o", description=XSS
    )
    store.close()


@pytest.fixture(scope="session")
def crafted_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("crafted-home")
    fill_crafted(home)
    return home


@pytest.fixture(scope="session")
def demo_server(demo_home: Path) -> Iterator[Server]:
    app = create_app(home=demo_home, poll_seconds=0.5)
    for url in _serve(app):
        yield Server(url, app, demo_home)


@pytest.fixture(scope="session")
def crafted_server(crafted_home: Path) -> Iterator[Server]:
    app = create_app(home=crafted_home, clock=lambda: NOW)
    for url in _serve(app):
        yield Server(url, app, crafted_home)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: playwright's sync API keeps an event loop running on
    this thread while it lives, which async tests of later modules could not share."""
    required = os.environ.get("HELICONE_LITE_REQUIRE_CHROMIUM") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("playwright is required (HELICONE_LITE_REQUIRE_CHROMIUM=1)")
        pytest.skip("the playwright package is not installed")
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"{CHROMIUM} is required (HELICONE_LITE_REQUIRE_CHROMIUM=1)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A light-mode page that records console errors and every URL it requested."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
    tab = context.new_page()
    tab.errors = []
    tab.requested = []
    tab.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("request", lambda r: tab.requested.append(r.url))
    yield tab
    context.close()
