"""How much of a package's typing is ``Any``: ``Any`` names per 1,000 lines (issue 14).

Counts the ``Any`` name tokens (not words in strings or comments) in every ``*.py`` file under
each directory given, and the files' lines. Usage::

    python scripts/any_density.py helicone_lite            # this package
    python scripts/any_density.py .venv/lib/python3.*/site-packages/httpx2   # a reference
"""

from __future__ import annotations

import io
import sys
import tokenize
from collections import Counter
from pathlib import Path


def count(root: Path) -> tuple[int, int, Counter[str]]:
    """(``Any`` tokens, lines, tokens per file) of the ``*.py`` files under ``root``."""
    tokens, lines, per_file = 0, 0, Counter[str]()
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines += text.count("\n")
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME and token.string == "Any":
                tokens += 1
                per_file[str(path.relative_to(root))] += 1
    return tokens, lines, per_file


def main(argv: list[str]) -> int:
    for name in argv or ["helicone_lite"]:
        tokens, lines, per_file = count(Path(name))
        print(f"{name}: {tokens} Any in {lines} lines = {1000 * tokens / max(lines, 1):.1f} per 1,000")
        for path, n in per_file.most_common(10):
            print(f"  {n:4d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
