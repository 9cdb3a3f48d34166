"""Are this tree's stored rows byte-identical to another tree's? (issue 12, item 3)

Builds a throwaway package from this tree's ``helicone_lite`` with the other tree's
``store/_request_row.py``, ``store/_rows.py`` and ``_cost.py`` beside it (as ``*_base``
modules), makes real calls (openai SDK over HTTP to the fake provider) whose captures both
build, and compares with ``repr`` (values, types, key order) what each gives: the writer's
way (``materialize`` then ``RowPreparer.prepare``: every statement and parameter), the
spill journal's JSON of the row, and ``build()`` direct and deferred. Usage::

    git archive main | tar -x -C /tmp/base
    python scripts/compare_rows.py /tmp/base 1500      # varied calls, as bench_realrows
    python scripts/compare_rows.py /tmp/base odd       # streams, errors, cache, prices...

Exit status 1 if any capture differs.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
_RENAMES = (
    ("from ._rows import", "from ._rows_base import"),
    ("from .._cost import", "from .._cost_base import"),
)


def _package(base: Path, into: Path) -> None:
    """This tree's package with ``base``'s row modules added as ``*_base``."""
    shutil.copytree(HERE / "helicone_lite", into / "helicone_lite")
    shutil.copy(base / "helicone_lite/_cost.py", into / "helicone_lite/_cost_base.py")
    shutil.copy(base / "helicone_lite/store/_rows.py", into / "helicone_lite/store/_rows_base.py")
    text = (base / "helicone_lite/store/_request_row.py").read_text(encoding="utf-8")
    for old, new in _RENAMES:
        text = text.replace(old, new)
    (into / "helicone_lite/store/_request_row_base.py").write_text(text, encoding="utf-8")


def _odd_captures(home: Path) -> list[Any]:
    import helicone_lite
    from helicone_lite.testing import FakeProvider, Fault, Reply

    kept: list[Any] = []
    messages = [{"role": "user", "content": "Hi ☃"}]
    own = {"ft-*": {"input": 2.0, "cached_input": 0.5, "output": 8.0}}
    with FakeProvider() as fake:
        fake.script("bad-*", Fault(status=400))
        fake.script("ft-*", Reply(prompt_tokens=1000, cached_tokens=400, completion_tokens=50))
        for prices in (None, own):
            client = helicone_lite.Client(
                api_key="sk-x", base_url=fake.openai_base_url, home=home, prices=prices
            )
            client.store.write_deferred = lambda table, capture: kept.append(capture)  # type: ignore[method-assign,assignment]
            chat = client.chat.completions
            for i in range(3):
                cached = {"Helicone-Cache-Enabled": "true", "Helicone-User-Id": "u"}
                chat.create(model="gpt-4o-mini", messages=messages, extra_headers=cached)
                for _ in chat.create(
                    model="gpt-4o-mini",
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                ):
                    pass
                with contextlib.suppress(Exception):
                    chat.create(model="bad-model", messages=messages)
                omit = {"Helicone-Omit-Request": "true", "Helicone-Property-Step": str(i)}
                chat.create(model="ft-v2", messages=messages, extra_headers=omit)
                client.responses.create(model="gpt-4o-mini", input="hi")
                chat.create(model="gpt-4o-mini", messages=messages, temperature=0.5, stop=("a",))
            client.close()
    return kept


def _as_dict(row: Any) -> Any:
    as_dict = getattr(row, "as_dict", None)
    return as_dict() if as_dict is not None else row


def compare(captures: list[Any], columns: Any) -> int:
    """How many captures build differently (printed) under the two trees."""
    new_rows = importlib.import_module("helicone_lite.store._rows")
    old_rr = importlib.import_module("helicone_lite.store._request_row_base")
    old_rows = importlib.import_module("helicone_lite.store._rows_base")
    from helicone_lite.store._errors import Reporter
    from helicone_lite.store._json import JsonEncoder

    new_prep, old_prep = (
        new_rows.RowPreparer(columns, Reporter()),
        old_rows.RowPreparer(columns, Reporter()),
    )
    encode, bad = JsonEncoder(), 0
    for capture in captures:
        base = object.__new__(old_rr.RequestCapture)
        for name in old_rr.RequestCapture.__slots__:
            setattr(base, name, getattr(capture, name))
        (_, mine), (_, theirs) = (
            new_rows.materialize(("requests", capture)),
            old_rows.materialize(("requests", base)),
        )
        same = repr(_as_dict(mine)) == repr(theirs) and encode(_as_dict(mine)) == encode(theirs)
        same = same and repr(new_prep.prepare("requests", mine)) == repr(
            old_prep.prepare("requests", dict(theirs))
        )
        for deferred in (False, True):
            a, b = capture.build(deferred=deferred), base.build(deferred=deferred)
            if deferred:
                a, b = (
                    new_rows.materialize(("requests", a))[1],
                    old_rows.materialize(("requests", b))[1],
                )
            same = same and repr(a) == repr(b)
            same = same and repr(new_prep.prepare("requests", dict(a))) == repr(
                old_prep.prepare("requests", dict(b))
            )
        if not same:
            bad += 1
            print("differs:", repr(_as_dict(mine))[:300], "\n   base:", repr(theirs)[:300])
    return bad


def main() -> None:
    base, what = Path(sys.argv[1]).resolve(), sys.argv[2] if len(sys.argv) > 2 else "500"
    with tempfile.TemporaryDirectory() as tmp:
        _package(base, Path(tmp))
        sys.path[:0] = [tmp, str(HERE / "benchmarks")]
        from helicone_lite.store._database import Database

        if what == "odd":
            captures = _odd_captures(Path(tmp) / "home")
        else:
            bench = importlib.import_module("bench_realrows")
            captures = bench.captures(int(what), Path(tmp) / "home", varied=True)
        columns = Database(Path(tmp) / "x.db", busy_timeout=5.0).initialize()
        bad = compare(captures, columns)
    print(
        f"{len(captures)} captures: writer's way, journal JSON, build direct and deferred: {bad} differ"
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
