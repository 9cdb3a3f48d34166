"""Each alert kind fires once over its threshold, stays quiet for its cooldown (injected
clock), fires again after it; delivered to a real local webhook, a callback and logging;
recorded in the store; never able to fail a call."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.alerts import AlertEvent, AlertRule, Webhook, alert_events, stored_alerts
from helicone_lite.pipeline import Call, Flow, Forward, Result
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import KEY, Clock


class Receiver:
    """A stdlib HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []  # type: list[dict[str, Any]]
        self.headers: list[dict[str, str]] = []
        headers = self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                headers.append(dict(self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _client(fake: FakeProvider, home: Path, clock: Clock, **kw: Any) -> helicone_lite.Client:
    # The receiver is on loopback, which webhooks refuse by default since issue 13 (a webhook
    # must not reach internal services): these tests allow it explicitly.
    kw.setdefault("webhook_allow_private", True)
    return helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock, max_retries=0, **kw
    )


def _ask(
    client: helicone_lite.Client,
    fake: FakeProvider,
    *,
    user: str = "patient-1",
    fault: bool = False,
    latency: float = 0.0,
    department: str = "cardiology",
) -> None:
    fake.enqueue(
        Fault(status=500)
        if fault
        else Reply(text="ok", prompt_tokens=1000, completion_tokens=500, latency=latency)
    )
    headers = {"Helicone-User-Id": user, "Helicone-Property-Department": department}
    messages = [{"role": "user", "content": "hi"}]
    if fault:
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-4o", messages=messages, extra_headers=headers)
    else:
        client.chat.completions.create(model="gpt-4o", messages=messages, extra_headers=headers)


def test_cost_alert_fires_once_then_respects_its_cooldown(
    fake: FakeProvider, home: Path, clock: Clock, receiver: Receiver
) -> None:
    seen: list[AlertEvent] = []
    rule = AlertRule.cost_over(
        0.02, window="1h", cooldown="10m", name="budget", notify=[receiver.url, seen.append]
    )
    client = _client(fake, home, clock, alerts=[rule])
    # gpt-4o, 1000 + 500 tokens: $0.0075 a call; the 3rd call passes $0.02
    for _ in range(2):
        _ask(client, fake)
    client.alerts.flush()
    assert seen == [] and receiver.received == []
    for _ in range(3):  # over the threshold, but within the cooldown after the first firing
        _ask(client, fake)
        clock.advance(60)
    client.alerts.flush()
    assert len(seen) == 1 and len(receiver.received) == 1
    event = receiver.received[0]
    assert event["alert_id"] == "budget" and event["metric"] == "cost"
    assert event["value"] == pytest.approx(0.0225) and event["threshold"] == 0.02
    assert event["requests"] == 3 and "budget" in event["message"]
    assert receiver.headers[0]["Content-Type"] == "application/json"
    clock.advance(10 * 60)  # past the cooldown (still inside the 1 h window)
    _ask(client, fake)
    client.alerts.flush()
    assert len(receiver.received) == 2 and receiver.received[1]["value"] > 0.02
    client.close()
    events = alert_events(client.store, "budget")
    assert [e.fired_at for e in events] == sorted((e.fired_at for e in events), reverse=True)
    assert len(events) == 2
    stored = {a.id: a for a in stored_alerts(client.store)}["budget"]
    assert stored.metric == "cost" and stored.fired == 2 and stored.enabled
    assert stored.channels[0] == "webhook:http://127.0.0.1/…"  # the URL's secret path is not kept
    assert "secret" not in json.dumps(stored.to_dict())


def test_error_rate_alert_needs_its_minimum_and_cools_down(
    fake: FakeProvider, home: Path, clock: Clock, receiver: Receiver
) -> None:
    client = _client(fake, home, clock)
    client.alerts.add(
        AlertRule.error_rate_over(
            50,
            window="1h",
            min_requests=5,
            cooldown="10m",
            name="errors",
            notify=Webhook(receiver.url),
        )
    )
    _ask(client, fake, fault=True)
    _ask(client, fake, fault=True)
    _ask(client, fake, fault=True)  # 100 % but only 3 calls: not enough to judge
    _ask(client, fake)
    client.alerts.flush()
    assert receiver.received == []
    _ask(client, fake)  # 3 of 5 failed: 60 % > 50 %
    _ask(client, fake, fault=True)  # still over, within the cooldown
    client.alerts.flush()
    assert [e["value"] for e in receiver.received] == [60.0]
    assert receiver.received[0]["requests"] == 5
    clock.advance(11 * 60)
    _ask(client, fake, fault=True)  # 5 of 7
    client.alerts.flush()
    assert len(receiver.received) == 2
    assert receiver.received[1]["value"] == pytest.approx(100 * 5 / 7)
    client.close()


class Slow:
    """A user interceptor that makes calls take ``delay`` seconds on the injected monotonic
    clock (the recorder times calls with it), so no test waits in real time."""

    def __init__(self, monotonic: Clock) -> None:
        self.monotonic = monotonic
        self.delay = 0.0

    def handle(self, call: Call) -> Flow:
        self.monotonic.advance(self.delay)
        result: Result = yield Forward(call)
        return result


def test_p95_latency_alert(
    fake: FakeProvider, home: Path, clock: Clock, receiver: Receiver
) -> None:
    monotonic = Clock(0.0)
    slow = Slow(monotonic)
    client = _client(
        fake,
        home,
        clock,
        monotonic=monotonic,
        interceptors=[slow],
        alerts=[
            AlertRule.p95_latency_over(
                150, window="1h", min_requests=4, cooldown="5m", name="slow", notify=[receiver.url]
            )
        ],
    )
    for _ in range(3):
        _ask(client, fake)  # 0 ms on the injected clock
    client.alerts.flush()
    assert receiver.received == []
    slow.delay = 0.2
    _ask(client, fake)  # the 4th value is the p95 of 4: over 150 ms
    _ask(client, fake)  # cooldown
    client.alerts.flush()
    assert len(receiver.received) == 1
    assert receiver.received[0]["value"] == pytest.approx(200)
    assert receiver.received[0]["metric"] == "p95_latency"
    clock.advance(6 * 60)
    _ask(client, fake)
    client.alerts.flush()
    assert len(receiver.received) == 2
    client.close()


def test_filters_logging_and_removal(
    fake: FakeProvider, home: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(fake, home, clock)
    rule = AlertRule.cost_over(
        0.01,
        window="1d",
        user="patient-7",
        properties={"Department": "neurology"},
        name="p7-neuro",
        notify="log",
    )
    client.alerts.add(rule)
    assert client.alerts.list() == [rule]
    assert client.with_options(timeout=5).alerts is client.alerts  # copies share the engine
    with caplog.at_level(logging.WARNING, logger="helicone_lite.alerts"):
        for _ in range(3):
            _ask(client, fake, user="patient-8", department="neurology")  # another user
            _ask(client, fake, user="patient-7", department="cardiology")  # another department
        client.alerts.flush()
        assert not [r for r in caplog.records if r.name == "helicone_lite.alerts"]
        _ask(client, fake, user="patient-7", department="neurology")
        _ask(client, fake, user="patient-7", department="neurology")
        client.alerts.flush()
    logged = [r.getMessage() for r in caplog.records if r.name == "helicone_lite.alerts"]
    assert len(logged) == 1 and "p7-neuro" in logged[0] and "user=patient-7" in logged[0]
    assert client.alerts.remove("p7-neuro") and client.alerts.list() == []
    clock.advance(86400)
    for _ in range(3):
        _ask(client, fake, user="patient-7", department="neurology")
    client.alerts.flush()
    client.close()
    assert len(alert_events(client.store)) == 1
    assert not {a.id: a for a in stored_alerts(client.store)}["p7-neuro"].enabled


def test_broken_channels_never_fail_a_call(
    fake: FakeProvider, home: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: AlertEvent) -> None:
        raise RuntimeError("callback bug")

    dead = Receiver()
    dead.close()  # nothing listens there any more
    client = _client(
        fake,
        home,
        clock,
        alerts=[AlertRule.cost_over(0.001, cooldown=1, name="noisy", notify=[explode, dead.url])],
    )
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(3):
            _ask(client, fake)  # each call succeeds
            clock.advance(2)
        client.alerts.flush()
    warnings = [r.getMessage() for r in caplog.records if "delivery to" in r.getMessage()]
    assert len(warnings) == 2  # once per broken channel, not once per firing
    assert all("secret" not in w for w in warnings)
    assert len(alert_events(client.store, "noisy")) == 3  # still recorded every time
    client.close()


def test_rule_validation() -> None:
    with pytest.raises(OptionsError, match="window"):
        AlertRule.cost_over(5, window="soon")
    with pytest.raises(OptionsError, match="percent"):
        AlertRule.error_rate_over(150)
    with pytest.raises(OptionsError, match="notify"):
        AlertRule.cost_over(5, notify=[42])
    with pytest.raises(OptionsError, match="webhook"):
        AlertRule.cost_over(5, notify="ftp://example.com/x")
    with pytest.raises(OptionsError, match="min_requests"):
        AlertRule.p95_latency_over(100, min_requests=0)
    rule = AlertRule.p95_latency_over(800, window="30m")
    assert (rule.window_seconds, rule.cooldown_seconds, rule.min_requests) == (1800, 1800, 5)
    assert rule.name == "p95 latency over 800 ms in 30m" and rule.key == rule.name


def test_windows_evict_by_time() -> None:
    from helicone_lite.alerts._windows import CostWindow, ErrorRateWindow, P95Window

    cost, errors, p95 = CostWindow(60), ErrorRateWindow(60), P95Window(60)
    for at, value, failed in ((0, 1.0, True), (30, 2.0, False), (59, 4.0, False)):
        for window in (cost, errors, p95):
            window.add(at, value, failed, value * 100)
    assert cost.value() == (7.0, 3) and errors.value() == (pytest.approx(100 / 3), 3)
    assert p95.value() == (400.0, 3)
    for window in (cost, errors, p95):
        window.add(61, None, False, None)  # t=0 falls out (window is (1, 61])
    assert cost.value() == (6.0, 3) and errors.value() == (0.0, 3)
    assert p95.value() == (400.0, 2)  # a call without latency adds nothing to the p95
    for window in (cost, errors):
        window.add(1000, 0.5, True, 10)
    assert cost.value() == (0.5, 1) and errors.value() == (100.0, 1)
