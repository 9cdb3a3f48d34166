"""A command that reads the store starts without the provider SDKs: ``import helicone_lite``
and the command line load openai (≈ 0.6 s of CPU on this machine), pydantic and the HTTP
client only when a client is built or an error for the SDK is raised, so every listing
command's start-up is the standard library, sqlite3 and its own code (issue 15, item 6:
every command within a second)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Logged

_PROBE = """
import json, sys
from helicone_lite.cli import main
code = main(sys.argv[2:] + ["--home", sys.argv[1]])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
_SDKS = ("openai", "anthropic", "google", "pydantic", "httpx2", "httpx")


@pytest.mark.parametrize(
    "command",
    [
        ["requests"],
        ["sessions"],
        ["users"],
        ["costs"],
        ["properties"],
        ["scores"],
        ["info"],
        ["limits"],
        ["prompts", "list"],
        ["query", "SELECT count(*) FROM requests"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_reading_command_loads_no_provider_sdk(logged: Logged, command: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(logged.home), *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    probe = json.loads(out.stdout.rstrip("\n").rsplit("\n", 1)[-1])
    assert probe["code"] == 0, out.stderr
    loaded = {name.partition(".")[0] for name in probe["modules"]}
    assert sorted(loaded.intersection(_SDKS)) == []
