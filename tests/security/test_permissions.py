"""Chaos: everything helicone_lite creates is private, whatever the umask (issue 13, finding 7).

The home, the store, the cache, the rate-limit state and the cache secret: directories 0700,
files 0600 (``helicone_lite/_files.py``), under a 022 umask and under a 000 umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

from .conftest import KEY, MESSAGES


@pytest.fixture(params=[0o022, 0o000, 0o077])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    previous = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_every_file_and_directory_is_private(
    umask: int, fake: FakeProvider, tmp_path: Path
) -> None:
    home = tmp_path / "deep" / "home"  # neither the home nor its parent exists yet
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    try:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={
                "Helicone-Cache-Enabled": "true",
                "Helicone-RateLimit-Policy": "10;w=60",
            },
        )
        client.flush()
        modes = _modes(home)
    finally:
        client.close()
    names = ("helicone.db", "ratelimit.slots", "ratelimit.names", "cache.key", "cache")
    for name in (*names, "cache/cache.db"):
        assert name in modes, name
    assert any(name.endswith("-wal") for name in modes)  # SQLite's own files are covered too
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert wrong == {}
    assert stat.S_IMODE((tmp_path / "deep").stat().st_mode) == 0o700


def test_files_an_older_version_left_readable_are_tightened(fake: FakeProvider, home: Path) -> None:
    home.mkdir(parents=True)
    for name in ("helicone.db", "ratelimit.db"):  # an older version's SQLite bucket store
        (home / name).touch(mode=0o644)
        os.chmod(home / name, 0o644)
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    try:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"Helicone-RateLimit-Policy": "10;w=60"},
        )
        client.flush()
    finally:
        client.close()
    assert stat.S_IMODE((home / "helicone.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "ratelimit.db").stat().st_mode) == 0o600  # read for import
    assert stat.S_IMODE((home / "ratelimit.slots").stat().st_mode) == 0o600


def test_making_a_file_private_keeps_this_processs_sqlite_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it, so
    ``private_file`` must not open a database another thread is writing (it showed as "disk
    I/O error" with sixteen rate-limit deciders connecting at once)."""
    import sqlite3
    import subprocess
    import sys

    from helicone_lite._files import private_file

    path = tmp_path / "state.db"
    private_file(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    try:
        os.chmod(path, 0o644)  # as an older version left it: private_file has work to do
        private_file(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        probe = (
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n    c.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError as e:\n"
            "    print(e)\nelse:\n    print('acquired')\n"
        )
        seen = subprocess.run(
            [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert seen == "database is locked"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
