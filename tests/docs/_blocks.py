"""The Python blocks of the README and docs/*.md, with the markers on the lines before each
fence (docs/testing.md, "The docs' snippets"):

* ``<!-- fragment: REASON -->``: not run on its own; the reason is required;
* ``<!-- continues: previous -->``: runs after the page's previous block, in its namespace;
* ``<!-- fake: CODE -->``: the test runs CODE (``fake``, ``Reply``, ``Fault``, ``ToolCall`` in
  scope) on the block's fake provider before the block, e.g. to script a failure;
* ``<!-- env: NAME=VALUE ... -->``: environment variables for the block; ``{redis_url}`` and
  ``{postgres_url}`` in a value are the suite's private servers."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>\s*)```python\s*$")
END = re.compile(r"^\s*```\s*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<key>[a-z]+):(?P<value>.*?)-->\s*$")
KEYS = ("fragment", "continues", "fake", "env")


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository, e.g. "docs/caching.md"
    line: int  # of the fence, 1-based; the code starts on the next line
    code: str
    markers: dict[str, str] = field(default_factory=dict)
    previous: Block | None = None  # the page's block before this one

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def program_id(self) -> str:
        """``page:first-last``: the fence lines of the blocks this one runs."""
        first = self.chain()[0]
        return self.id if first is self else f"{self.id.rsplit(':', 1)[0]}:{first.line}-{self.line}"

    def chain(self) -> list[Block]:
        """The blocks this one runs: those it continues (oldest first), then itself."""
        if "continues" in self.markers and self.previous is not None:
            return [*self.previous.chain(), self]
        return [self]


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def markers_before(lines: list[str], fence: int) -> dict[str, str]:
    """The ``<!-- key: value -->`` lines directly above line index ``fence``."""
    found: dict[str, str] = {}
    at = fence - 1
    while at >= 0 and (match := MARKER.match(lines[at])):
        found[match["key"]] = match["value"].strip()
        at -= 1
    return found


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").split("\n")
    page = path.relative_to(ROOT).as_posix()
    found: list[Block] = []
    at = 0
    while at < len(lines):
        fence = FENCE.match(lines[at])
        if fence is None:
            at += 1
            continue
        end = at + 1
        while not END.match(lines[end]):
            end += 1
        code = textwrap.dedent("\n".join(lines[at + 1 : end])) + "\n"
        previous = found[-1] if found else None
        found.append(Block(page, at + 1, code, markers_before(lines, at), previous))
        at = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for path in pages() for block in blocks_of(path)]


def programs(blocks: list[Block]) -> list[Block]:
    """The blocks to run: each runnable block that no later block continues. Running one runs
    the blocks it continues first, so each block runs once, in the longest program it is in."""
    continued = {id(b.previous) for b in blocks if "continues" in b.markers}
    return [b for b in blocks if "fragment" not in b.markers and id(b) not in continued]
