"""Under a pseudo-terminal: tables fitted to the width (cut with an ellipsis, ids and times
whole, never wrapped), stored escapes inert. And the long-running commands: ``requests
--follow`` shows a row written while it runs; ``fake-provider`` serves and prints exports."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openai
import pytest

import helicone_lite
from helicone_lite.cli._output import cell_width
from helicone_lite.testing import FakeProvider, Reply

from .conftest import HOSTILE_SESSION, HOSTILE_USER, KEY, Logged, assert_inert, run_tty

_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours (trees), not stored text


def visible(text: str) -> list[str]:
    return [_STYLE.sub("", line) for line in text.splitlines()]


@pytest.mark.parametrize("columns", [80, 200])
def test_requests_table_fits_the_terminal(logged: Logged, columns: int) -> None:
    argv = ("requests", "-n", "50", "--home", str(logged.home))
    # at 80 columns in a fresh interpreter, as a user runs it; the other terminals in-process
    status, out = run_tty(*argv, columns=columns, process=columns == 80)
    assert status == 0, out
    lines = visible(out)
    assert all(cell_width(line) <= columns for line in lines), out
    for rid in logged.ids.values():
        assert sum(rid in line for line in lines) == 1  # whole, on one line
    assert lines[1].split()[:3] == ["id", "time", "status"]
    assert all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) for line in lines[3:9])
    if columns == 200:
        assert HOSTILE_USER in out and HOSTILE_SESSION in out  # printed as stored
    else:
        assert "not shown:" in lines[-1]  # what a narrow terminal leaves out, said
    assert_inert(out)


@pytest.mark.parametrize(
    "argv",
    [
        ["users"],
        ["sessions"],
        ["costs"],
        ["properties", "department"],
        ["scores"],
        ["info"],
        ["requests", "show", "HOSTILE"],
        ["sessions", "show", HOSTILE_SESSION],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_other_commands_fit_80_columns_and_stay_inert(logged: Logged, argv: list[str]) -> None:
    argv = [logged.ids["hostile"] if a == "HOSTILE" else a for a in argv]
    status, out = run_tty(*argv, "--home", str(logged.home), columns=80)
    assert status == 0, out
    lines = visible(out)
    if argv[:2] != ["requests", "show"]:  # (a message's text is printed in full, escaped)
        assert all(cell_width(line) <= 80 for line in lines), out
    assert_inert(out)
    if argv[0] == "sessions" and len(argv) > 1:
        assert any(logged.ids["hostile"] in line for line in lines)  # ids on the tree, whole


def read_until(
    proc: subprocess.Popen[bytes], done: Callable[[str], bool], timeout: float = 60
) -> str:
    """Read ``proc``'s stdout until ``done(text so far)``; fails after ``timeout`` s."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while not done(data.decode("utf-8", "replace")):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            raise AssertionError(f"timed out; output so far: {data!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(f"process ended; output: {data!r}")
        data += chunk
    return data.decode("utf-8", "replace")


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "helicone_lite", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    """In the child, before exec: SIGINT back to its default. A shell starting pytest with a
    plain ``&`` (no job control) ignores SIGINT, the child inherits that, Python then installs
    no KeyboardInterrupt handler, and ``--follow`` never stops: the test hung."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(30)
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_follow_prints_new_rows_as_they_are_logged(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    fake.enqueue(Reply(text="first"))
    first = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "one"}]
    ).headers["Helicone-Id"]
    client.flush()
    proc = _spawn(
        "requests", "--follow", "--interval", "0.05", "--home", str(home), "--model", "gpt-4o"
    )
    try:
        read_until(proc, lambda text: text.startswith("id\t"))  # the header: it is running
        fake.enqueue(Reply(text="second"))
        client.chat.completions.create(  # filtered out (another model): never printed
            model="gpt-4o-mini", messages=[{"role": "user", "content": "two"}]
        )
        fake.enqueue(Reply(text="third"))
        wanted = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "three"}]
        ).headers["Helicone-Id"]
        client.flush()
        out = read_until(proc, lambda text: wanted in text)
    finally:
        status = _interrupt(proc)
        client.close()
    assert status == 130
    rows = [line.split("\t") for line in out.splitlines() if not line.startswith("id\t")]
    assert [row[0] for row in rows] == [wanted] and rows[0][3] == "gpt-4o"
    assert first not in out


def test_fake_provider_command_serves_and_prints_exports() -> None:
    proc = _spawn("fake-provider", "--port", "0")
    try:
        out = read_until(proc, lambda text: "GOOGLE_API_KEY" in text and text.endswith("\n"))
        env = dict(
            line[len("export ") :].split("=", 1)
            for line in out.splitlines()
            if line.startswith("export ")
        )
        assert {
            "OPENAI_BASE_URL",
            "OPENAI_API_KEY",
            "ANTHROPIC_BASE_URL",
            "GOOGLE_GEMINI_BASE_URL",
        } <= set(env)
        assert env["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
        reply = openai.OpenAI(base_url=env["OPENAI_BASE_URL"], api_key=env["OPENAI_API_KEY"])
        answer = reply.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        assert answer.choices[0].message.content
    finally:
        status = _interrupt(proc)
    assert status == 130


def test_fake_provider_port_in_use_is_one_line() -> None:
    with FakeProvider() as taken:
        port = taken.port
        done = subprocess.run(
            [sys.executable, "-m", "helicone_lite", "fake-provider", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert f"127.0.0.1:{port}" in done.stderr
