"""Every ```python block of README.md and docs/*.md runs as a user's program would, or says
why it cannot (docs/testing.md, "The docs' snippets"): each in a fresh interpreter, with its
own ``HELICONE_LITE_HOME`` and working directory, the three SDKs pointed at a fake provider
by the environment (``fake.env()``, as ``helicone-lite fake-provider`` prints it), fake keys,
and sockets that refuse anything but loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall
from tests.docs._blocks import KEYS, ROOT, Block, all_blocks, programs

BLOCKS = all_blocks()
PROGRAMS = programs(BLOCKS)
RUNNER = Path(__file__).with_name("_run.py")


def clean_env(home: Path) -> dict[str, str]:
    """The test's environment without keys, endpoints or helicone_lite settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith(("_API_KEY", "_BASE_URL"))
        and not name.startswith(("HELICONE_LITE_", "OTEL_", "POSTHOG_"))
    }
    env.update(HELICONE_LITE_HOME=str(home), PYTHONPATH=str(ROOT))
    return env


def block_env(block: Block, request: pytest.FixtureRequest) -> dict[str, str]:
    """The ``env:`` markers of the block and those it continues, servers filled in."""
    env: dict[str, str] = {}
    for part in block.chain():
        for pair in part.markers.get("env", "").split():
            name, _, value = pair.partition("=")
            for server in ("redis_url", "postgres_url"):
                if "{" + server + "}" in value:
                    value = value.replace("{" + server + "}", request.getfixturevalue(server))
            env[name] = value
    return env


def run(
    chain: list[tuple[str, int, str]], tmp_path: Path, extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Runs the code of ``chain`` ((file, line before its first line, code) each) in one
    fresh interpreter, in a clean environment plus ``extra``."""
    listing = tmp_path / "blocks.json"
    listing.write_text(json.dumps(chain), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(tmp_path / "home")
    env.update(extra, DOCSNIP_REFUSED=str(tmp_path / "refused.txt"))
    return subprocess.run(
        [sys.executable, str(RUNNER), str(listing)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=120,
    )


@pytest.mark.parametrize("block", PROGRAMS, ids=[b.program_id for b in PROGRAMS])
def test_block_runs(
    block: Block, fake: FakeProvider, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for part in block.chain():
        if "fake" in part.markers:
            scope = {"fake": fake, "Reply": Reply, "Fault": Fault, "ToolCall": ToolCall}
            exec(part.markers["fake"], scope)  # the docs' own setup line
    chain = [(str(ROOT / b.page), b.line, b.code) for b in block.chain()]
    done = run(chain, tmp_path, {**fake.env(), **block_env(block, request)})
    assert done.returncode == 0, f"{block.id} failed:\n{done.stderr[-4000:]}"
    refused = tmp_path / "refused.txt"
    assert not refused.exists(), f"{block.id} reached beyond loopback: {refused.read_text()}"


#: the examples/ scripts no other test runs (tests/production/test_examples.py and
#: tests/core/test_api_examples.py run the others), and a line each prints
UNTESTED_EXAMPLES = {"prompts": "production: rollback 2 -> 1", "opentelemetry_export": "trace "}


@pytest.mark.parametrize("name", sorted(UNTESTED_EXAMPLES))
def test_example_runs(name: str, tmp_path: Path) -> None:
    """Run offline as ``python examples/NAME.py``: with no OPENAI_API_KEY, examples/_offline.py
    starts its own fake provider."""
    script = ROOT / "examples" / f"{name}.py"
    chain = [(str(script), 0, script.read_text(encoding="utf-8"))]
    extra = {"PYTHONPATH": f"{ROOT}{os.pathsep}{script.parent}"}
    done = run(chain, tmp_path, extra)
    assert done.returncode == 0, f"examples/{name}.py failed:\n{done.stderr[-4000:]}"
    assert "none carried the Helicone key" in done.stdout  # examples/_offline.py, at exit
    assert UNTESTED_EXAMPLES[name] in done.stdout, done.stdout
    assert not (tmp_path / "refused.txt").exists()


def test_markers_are_known_and_fragments_say_why() -> None:
    for block in BLOCKS:
        unknown = set(block.markers) - set(KEYS)
        assert not unknown, f"{block.id}: unknown marker {unknown} (known: {KEYS})"
        if "fragment" in block.markers:
            assert block.markers["fragment"], f"{block.id}: a fragment must say why"
        if "continues" in block.markers:
            assert block.markers["continues"] == "previous", block.id
            assert block.previous is not None, f"{block.id} continues nothing"
            assert "fragment" not in block.previous.markers, f"{block.id} continues a fragment"
        for pair in block.markers.get("env", "").split():
            assert "=" in pair, f"{block.id}: env wants NAME=VALUE pairs, not {pair!r}"


def test_every_page_with_python_is_collected() -> None:
    pages = {b.page for b in BLOCKS}
    assert {"README.md", "docs/testing.md", "docs/caching.md"} <= pages
    assert len(BLOCKS) >= 30
