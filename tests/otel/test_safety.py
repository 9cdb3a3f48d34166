"""Export is optional, validated, off the caller's path, and never breaks a call."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

import helicone_lite
from helicone_lite.otel import INSTALL_HINT
from helicone_lite.otel._worker import Worker
from helicone_lite.testing import FakeProvider

from .conftest import KEY, MESSAGES, Traces

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_and_plain_clients_do_not_import_opentelemetry(
    fresh_import: dict[str, set[str]],
) -> None:
    # tests/conftest.py's fresh interpreter, after `import helicone_lite` and a plain client
    assert sorted(m for m in fresh_import["client"] if m.startswith("opentelemetry")) == []


def test_without_the_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    for name in list(sys.modules):
        if name.startswith("opentelemetry") or name == "helicone_lite.otel._spans":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    with pytest.raises(ImportError) as caught:
        helicone_lite.Client(api_key=KEY, base_url="http://127.0.0.1:9/v1", home=home, otel=True)
    assert INSTALL_HINT in str(caught.value)
    assert INSTALL_HINT == "pip install 'helicone-lite[otel]'"


@pytest.mark.parametrize(
    ("option", "value"),
    [("otel", "yes"), ("otel_capture_content", 1), ("tracer_provider", object())],
)
def test_bad_settings_name_the_option(option: str, value: Any, home: Path) -> None:
    kwargs = {option: value}
    if option == "otel_capture_content":
        kwargs["otel"] = True
    with pytest.raises(helicone_lite.OptionsError) as caught:
        helicone_lite.Client(api_key=KEY, base_url="http://127.0.0.1:9/v1", home=home, **kwargs)
    assert option in str(caught.value)


def test_global_provider_even_when_set_after_the_client(fake: FakeProvider, home: Path) -> None:
    # a fresh interpreter: the global TracerProvider can be set only once per process
    out = _python(
        "import json, helicone_lite\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        f"client = helicone_lite.Client(api_key='sk-x', base_url={fake.openai_base_url!r}, "
        f"home={str(home)!r}, otel=True)\n"
        "memory = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(memory))\n"
        "trace.set_tracer_provider(provider)\n"
        "client.chat.completions.create(model='gpt-4o-mini', "
        "messages=[{'role': 'user', 'content': 'hi'}])\n"
        "client.flush()\n"
        "print(json.dumps([s.name for s in memory.get_finished_spans()]))\n"
    )
    assert json.loads(out) == ["chat gpt-4o-mini"]


class _Broken(SpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        raise RuntimeError("the collector is on fire")


def test_a_failing_exporter_never_fails_the_call(
    make_client: Callable[..., helicone_lite.Client],
    traces: Traces,
    caplog: pytest.LogCaptureFixture,
) -> None:
    traces.provider.add_span_processor(_Broken())
    client = make_client()
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(3):
            response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            assert response.choices[0].message.content == "echo: What is diabetes?"
        assert client.flush(timeout=10)
    warnings = [r for r in caplog.records if "OpenTelemetry export failed" in r.getMessage()]
    assert len(warnings) == 1  # reported once, not per call
    assert client._helicone_runtime.otel.stats()["failed"] == 3


def test_a_full_queue_drops_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    gate, handled = threading.Event(), []

    def slow(item: Any) -> None:
        gate.wait(10)
        handled.append(item)

    worker = Worker(slow, max_queue=2)
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for n in range(10):  # one in the thread's hands, two queued, the rest dropped
            worker.submit(n)
    gate.set()
    assert worker.flush(timeout=10)
    assert worker.stats()["dropped"] >= 7
    assert handled == sorted(handled) and len(handled) == 10 - worker.stats()["dropped"]
    assert len([r for r in caplog.records if "queue full" in r.getMessage()]) == 1
    worker.stop(timeout=10)
    worker.submit("late")  # after stop: dropped, never raises
    assert worker.flush(timeout=1)


def test_worker_restarts_in_a_forked_child() -> None:
    handled: list[Any] = []
    worker = Worker(handled.append)
    worker.submit("parent")
    assert worker.flush(timeout=10)
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is gone; submitting starts a new one
        worker.submit("child")
        ok = worker.flush(timeout=10) and handled == ["parent", "child"]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert handled == ["parent"]
    worker.stop(timeout=10)


def test_flush_covers_spans_and_log(client: helicone_lite.Client, traces: Traces) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert client.flush(timeout=10) is True
    assert client._helicone_runtime.otel.stats() == {
        "queued": 0,
        "handled": 1,
        "dropped": 0,
        "failed": 0,
    }
    assert len(traces.exporter.get_finished_spans()) == 1  # SimpleSpanProcessor: exported


def test_spans_still_queued_at_exit_are_exported(fake: FakeProvider, home: Path) -> None:
    # no flush: the exit handler hands the queued span to the provider before the SDK's own
    # shutdown (registered earlier, so run later) exports the batch
    out = _python(
        "import helicone_lite\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))\n"
        f"client = helicone_lite.Client(api_key='sk-x', base_url={fake.openai_base_url!r}, "
        f"home={str(home)!r}, tracer_provider=provider)\n"
        "client.chat.completions.create(model='gpt-4o-mini', "
        "messages=[{'role': 'user', 'content': 'hi'}])\n"
    )
    assert '"name": "chat gpt-4o-mini"' in out
