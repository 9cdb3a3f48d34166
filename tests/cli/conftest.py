"""Fixtures for the command-line tests: a home filled by real client calls against the fake
provider (hostile strings included), and ways to run the real ``helicone-lite``: piped, or
under a pseudo-terminal of a chosen width (in this process, or in a subprocess as a user
runs it)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

#: stored text an attacker controls, as the CLI must print it: literally, escapes inert
HOSTILE_USER = "[red]alice[/]"
HOSTILE_SESSION = "[s1]"
HOSTILE_TEXT = "[red]x [/] [bold]\x1b[2J\x1b]0;pwned\x07 line1\nline2 \u202eevil"
FORMULA = '=HYPERLINK("http://evil","x")'
KEY = "sk-test-cli-0123456789"
RAW_SESSION = "+1+cmd|' /C calc'!A0\nsplit"


@dataclass
class Logged:
    home: Path
    ids: dict[str, str]  # name -> request id


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``helicone-lite ARGS`` as ``python -m helicone_lite`` runs it (``cli.main``), but in
    this process: stdout and stderr captured (piped: not a terminal), ``env`` added and
    ``stdin`` given for this call only. An interpreter per command cost ~1 s of CPU each, 13 s
    of wall time on a loaded machine; the console script itself still runs as a subprocess in
    test_terminal.py (``run_tty``)."""
    from helicone_lite.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _stdin(io.StringIO(stdin or "")),
        ):
            try:
                code = main(list(args))
            except SystemExit as exit:  # argparse's usage errors (2) and --help (0)
                code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
                if isinstance(exit.code, str):
                    err.write(exit.code + "\n")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(
        ["helicone-lite", *args], code, out.getvalue(), err.getvalue()
    )


@contextlib.contextmanager
def _stdin(stream: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


def run_tty(
    *args: str, columns: int = 80, timeout: float = 120, process: bool = False
) -> tuple[int, str]:
    """``helicone-lite ARGS`` with stdout and stderr on a pseudo-terminal ``columns`` wide;
    (status, text as the terminal received it).

    In this process by default (``cli.main`` with ``sys.stdout``/``sys.stderr`` on the
    terminal, and file descriptor 1 too, where the width is read from): the same terminal and
    line discipline for ~1 s less CPU each. ``process=True`` runs the console's module in a
    fresh interpreter, as a user does."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, chunks, timeout), name="tty-reader")
    reader.start()
    try:
        status = (_tty_process if process else _tty_in_process)(args, slave, timeout)
    finally:
        reader.join(timeout)
        os.close(master)
    assert not reader.is_alive(), f"the terminal of {args} never closed"
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _drain(master: int, chunks: list[bytes], timeout: float) -> None:
    """Read the terminal's output until every writer closed it (EIO on Linux)."""
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return  # run_tty's assertion reports it
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the writers closed the terminal
            return
        if not data:
            return
        chunks.append(data)


def _tty_process(args: Sequence[str], slave: int, timeout: float) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "helicone_lite", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env=env,
        )
    finally:
        os.close(slave)  # the child's is the last: the reader sees the terminal close
    return proc.wait(timeout)


def _tty_in_process(args: Sequence[str], slave: int, timeout: float) -> int:
    from helicone_lite.cli import main

    terminal = io.TextIOWrapper(io.FileIO(slave, "w"), encoding="utf-8", line_buffering=True)
    saved_fd = os.dup(1)
    saved_env = {k: os.environ.pop(k) for k in ("COLUMNS", "LINES") if k in os.environ}
    os.dup2(slave, 1)  # shutil.get_terminal_size reads the width of sys.__stdout__'s fd
    try:
        with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
            try:
                return main(list(args))
            except SystemExit as exit:
                return exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    finally:
        terminal.flush()
        os.dup2(saved_fd, 1)
        os.close(saved_fd)
        os.environ.update(saved_env)
        terminal.close()  # the last writer: the reader sees the terminal close


def _calls(client: helicone_lite.Client, fake: FakeProvider) -> dict[str, str]:
    ids: dict[str, str] = {}

    def ask(name: str, model: str, content: str, headers: dict[str, str], **kw: object) -> None:
        reply = client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": content},
            ],
            extra_headers=headers,
            **kw,  # type: ignore[arg-type]
        )
        ids[name] = reply.headers["Helicone-Id"]

    session = {"Helicone-Session-Id": HOSTILE_SESSION, "Helicone-Session-Path": "/triage"}
    fake.enqueue(Reply(text="URGENT", prompt_tokens=40, completion_tokens=5))
    ask(
        "triage",
        "gpt-4o-mini",
        "chest pain",
        {**session, "Helicone-User-Id": "bob", "Helicone-Property-Department": "cardiology"},
    )
    fake.enqueue(Reply(text=HOSTILE_TEXT, prompt_tokens=50, completion_tokens=20))
    ask(
        "hostile",
        "gpt-4o",
        HOSTILE_TEXT,
        {**session, "Helicone-User-Id": HOSTILE_USER, "Helicone-Property-Department": FORMULA},
        temperature=0.2,
        max_tokens=50,
    )
    fake.enqueue(Fault(status=500, message="upstream down"))
    fake.enqueue(Reply(text="after a retry", prompt_tokens=10, completion_tokens=3))
    ask(
        "retried",
        "gpt-4o-mini",
        "retry me",
        {
            "Helicone-Retry-Enabled": "true",
            "Helicone-Retry-Num": "2",
            "Helicone-User-Id": "carol",
            "Helicone-Prompt-Id": "triage-prompt",
        },
    )
    cached = {"Helicone-Cache-Enabled": "true", "Helicone-User-Id": "dave"}
    fake.enqueue(Reply(text="cached answer", prompt_tokens=30, completion_tokens=4))
    ask("miss", "gpt-4o-mini", "what is diabetes?", cached)
    ask("hit", "gpt-4o-mini", "what is diabetes?", cached)
    return ids


def fill(home: Path, fake: FakeProvider) -> Logged:
    """A home with a few real calls (one hostile, one retried, a cache miss and hit), a
    score, and a row with control characters in its id fields written straight to the store
    (as an older version, or another writer, could have)."""
    client = helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, home=home, sleep=lambda s: None
    )
    try:
        ids = _calls(client, fake)
        client.flush()
        client.score(ids["triage"], {"accuracy": 90})
        client.store.write(
            "requests",
            {
                "id": "raw-\x1b[2J-row",
                "created_at": "2026-01-01T00:00:00.000Z",
                "model": "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
                "status": 200,
                "user_id": "eve\x1b[31m\u202e",
                "session_id": RAW_SESSION,
            },
        )
        client.flush()
    finally:
        client.close()
    return Logged(home, ids)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    home = tmp_path_factory.mktemp("cli") / "home"
    with FakeProvider() as fake:
        yield fill(home, fake)


def assert_inert(text: str) -> None:
    """No escape sequence, bidi override or bare control character from stored text."""
    for bad in ("\x1b[2J", "\x1b]0;", "\x1b]8;", "\x07", "\u202e", "eve\x1b"):
        assert bad not in text, (bad, text)


def lines_of(out: str) -> list[str]:
    return out.splitlines()


def columns_of(out: str) -> Sequence[list[str]]:
    return [line.split("\t") for line in out.splitlines()]
