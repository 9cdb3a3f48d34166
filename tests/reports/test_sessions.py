"""The seed's four-agent triage session, made through the real client against the fake
provider, gives the right tree, per-node costs, list row, JSON and terminal rendering."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from rich.console import Console

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite._cost import Usage, cost_usd
from helicone_lite.reports import Filters, UnknownSessionError
from helicone_lite.testing import FakeProvider, Reply

from .conftest import Clock

# (path, model, prompt tokens, completion tokens) of the seed's multi-agent example
AGENTS = (
    ("/triage", "gpt-4o-mini", 120, 60),
    ("/triage/analysis", "gpt-4o", 300, 150),
    ("/triage/analysis/lab-review", "gpt-4o-mini", 200, 90),
    ("/triage/report", "gpt-4o-mini", 250, 110),
)


def _price(model: str, prompt: int, completion: int) -> float:
    price = cost_usd(model, "openai", Usage(prompt_tokens=prompt, completion_tokens=completion))
    assert price is not None and price > 0
    return price


def _headers(session: str, path: str) -> dict[str, str]:
    return {
        "Helicone-Session-Id": session,
        "Helicone-Session-Path": path,
        "Helicone-Session-Name": "Patient triage",
        "Helicone-Property-Agent": path.rsplit("/", 1)[1],
        "Helicone-User-Id": "patient_12345",
    }


def _run_triage(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock, stream: bool = False
) -> tuple[str, list[str]]:
    session, ids = str(uuid.uuid4()), []
    for path, model, prompt, completion in AGENTS:
        fake.enqueue(Reply(text=f"{path} done", prompt_tokens=prompt, completion_tokens=completion))
        messages = [{"role": "user", "content": f"Patient reports: fatigue ({path})"}]
        if stream:
            chunks = client.chat.completions.create(
                model=model,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=_headers(session, path),
            )
            list(chunks)
            ids.append(chunks.headers["Helicone-Id"])
        else:
            reply = client.chat.completions.create(
                model=model,
                messages=messages,
                max_tokens=150,
                extra_headers=_headers(session, path),
            )
            ids.append(reply.headers["Helicone-Id"])
        clock.advance(10)
    return session, ids


def _check_tree(client: Any, session: str, ids: list[str]) -> None:
    tree = client.reports.session(session)
    nodes = tree.nodes()
    assert list(nodes) == [
        "/",
        "/triage",
        "/triage/analysis",
        "/triage/analysis/lab-review",
        "/triage/report",
    ]
    price = {path: _price(model, p, c) for path, model, p, c in AGENTS}
    for path in price:  # each request hangs under the node of its full path
        assert [r.path for r in nodes[path].requests] == [path]
        assert nodes[path].self_cost_usd == pytest.approx(price[path])
    analysis = nodes["/triage/analysis"]
    assert analysis.request_count == 2
    assert analysis.cost_usd == pytest.approx(
        price["/triage/analysis"] + price["/triage/analysis/lab-review"]
    )
    assert [c.path for c in analysis.children] == ["/triage/analysis/lab-review"]
    assert [c.path for c in nodes["/triage"].children] == ["/triage/analysis", "/triage/report"]
    assert nodes["/triage"].cost_usd == pytest.approx(sum(price.values()))
    assert tree.cost_usd == pytest.approx(sum(price.values()))
    assert tree.requests == 4 and tree.name == "Patient triage"
    assert tree.users == ("patient_12345",)
    assert nodes["/triage/report"].tokens == 250 + 110
    assert [r.id for n in tree.root.walk() for r in n.requests] == [ids[0], ids[1], ids[2], ids[3]]
    first, last = nodes["/triage"].requests[0], nodes["/triage/report"].requests[0]
    assert tree.duration_ms == pytest.approx(last.end_ms - first.start_ms)
    assert tree.duration_ms >= 30_000  # the injected clock moved 10 s between agents


def test_four_agent_session_tree(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    session, ids = _run_triage(client, fake, clock)
    _check_tree(client, session, ids)


def test_four_agent_session_tree_streamed(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    session, ids = _run_triage(client, fake, clock, stream=True)
    _check_tree(client, session, ids)


async def test_four_agent_session_tree_async(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider, clock: Clock
) -> None:
    session = str(uuid.uuid4())
    for path, model, prompt, completion in AGENTS:
        fake.enqueue(Reply(text="ok", prompt_tokens=prompt, completion_tokens=completion))
        await aclient.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": path}],
            extra_headers=_headers(session, path),
        )
        clock.advance(10)
    tree = aclient.reports.session(session)
    assert tree.node("/triage/analysis/lab-review").cost_usd == pytest.approx(
        _price("gpt-4o-mini", 200, 90)
    )
    assert tree.requests == 4


def test_siblings_on_one_path_in_time_order(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    session = "retry-session"
    for text in ("first", "second", "third"):
        fake.enqueue(Reply(text=text, prompt_tokens=10, completion_tokens=5))
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": text}],
            helicone={"session_id": session, "session_path": "triage/analysis/"},
        )
        clock.advance(1)
    tree = client.reports.session(session)
    node = tree.node("/triage/analysis")  # a missing leading slash and a trailing one normalised
    assert len(node.requests) == 3
    stamps = [r.created_at for r in node.requests]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert tree.node("/triage").requests == () and tree.node("/triage").request_count == 3


def test_session_list_json_and_rendering(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    first, _ = _run_triage(client, fake, clock)
    second, _ = _run_triage(client, fake, clock)
    rows = client.reports.sessions()
    assert [r.session_id for r in rows] == [second, first]  # most recent first
    row = rows[0]
    assert row.requests == 4 and row.name == "Patient triage" and row.errors == 0
    tree = client.reports.session(second)
    assert row.cost_usd == pytest.approx(tree.cost_usd)
    assert row.duration_ms == pytest.approx(tree.duration_ms)
    data = json.loads(json.dumps(tree.to_dict()))
    assert data["tree"]["children"][0]["path"] == "/triage"
    analysis = data["tree"]["children"][0]["children"][0]
    assert analysis["path"] == "/triage/analysis" and analysis["request_count"] == 2
    assert analysis["requests"][0]["model"] == "gpt-4o"
    console = Console(width=200, record=True)
    console.print(tree.to_rich())
    text = console.export_text()
    assert "/triage/analysis/lab-review" in text and "gpt-4o" in text
    assert text.index("/triage/analysis") < text.index("/triage/report")
    by_cost = client.reports.sessions(sort="cost", limit=1)
    assert len(by_cost) == 1


def test_session_prefix_filters_and_unknown(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    session, _ = _run_triage(client, fake, clock)
    assert client.reports.session(session[:8]).session_id == session
    only = client.reports.session(session, Filters(model="gpt-4o"))
    assert only.requests == 1 and list(only.nodes())[-1] == "/triage/analysis"
    with pytest.raises(UnknownSessionError, match="no-such-session"):
        client.reports.session("no-such-session")
    with pytest.raises(OptionsError, match="sort"):
        client.reports.sessions(sort="alphabetical")


def test_most_recent_sessions_past_a_long_session(database: str) -> None:
    """The newest 70 requests are one session's: the two most recent sessions are that one
    and the next older (found by reading a longer prefix of the requests), on both engines."""
    from helicone_lite.reports import Reports
    from helicone_lite.store import Store, iso_from_epoch

    from .conftest import T0

    rows = [("older", T0 - 500), ("oldest", T0 - 900)]
    rows += [("long", T0 - i) for i in range(70)]
    with Store(database) as store:
        for i, (session, at) in enumerate(rows):
            store.write(
                "requests",
                {"id": f"r{i:03d}", "created_at": iso_from_epoch(at), "session_id": session},
            )
        store.flush()
        reports = Reports(store, clock=lambda: T0 + 1)
        assert [s.session_id for s in reports.sessions(limit=2)] == ["long", "older"]
        assert [s.session_id for s in reports.sessions(limit=5)] == ["long", "older", "oldest"]
