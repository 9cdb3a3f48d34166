"""``prune`` and ``delete --user`` on a big store, as the CLI runs them, in CPU time.

Each deletion runs on a fresh copy of ``STORE`` (opened once first, so a migration is not
timed), in process (``helicone_lite.cli.main``), timed with ``time.process_time``: the
command's own work, whatever the machine's load. The prune cutoff is absolute (the time of
the ``--rows``-th oldest request), so runs an hour apart delete the same rows; the user is
the one whose request count is nearest ``--user-rows``.

    python benchmarks/bench_prune.py /tmp/cli1m.db                 # prune ~11,200 rows
    python benchmarks/bench_prune.py /tmp/cli1m.db --user-rows 11000 --repeat 2
    python benchmarks/bench_prune.py /tmp/cli1m.db --warm   # without the CLI's imports

For ``main`` against a branch, run a ``git archive`` copy's script on its own store (each
version's schema) alternately: the deletions are the same rows.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helicone_lite.cli import main
from helicone_lite.store import Store


def targets(path: Path, rows: int, user_rows: int) -> tuple[str, str, int]:
    """(prune cutoff, user id, that user's requests), read from the store."""
    conn = sqlite3.connect(path)
    try:
        cutoff = conn.execute(
            "SELECT created_at FROM requests INDEXED BY idx_requests_created_at "
            "ORDER BY created_at LIMIT 1 OFFSET ?",
            (rows,),
        ).fetchone()[0]
        user, n = conn.execute(
            "SELECT user_id, count(*) AS n FROM requests INDEXED BY idx_requests_user "
            "WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY abs(count(*) - ?) LIMIT 1",
            (user_rows,),
        ).fetchone()
    finally:
        conn.close()
    return str(cutoff), str(user), int(n)


def syscalls() -> int:
    """Read and write system calls of this process so far (Linux; 0 elsewhere): the page
    traffic between SQLite and the kernel, a count that does not depend on the load."""
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return 0
    fields = dict(line.split(": ") for line in text.splitlines() if ": " in line)
    return int(fields.get("syscr", 0)) + int(fields.get("syscw", 0))


def warm() -> None:
    """Import what the CLI imports on its first command (``build_parser`` imports every
    command module, ``rich`` included; ``prune`` imports ``reports``): ~0.2-0.3 s of CPU that
    belongs to the CLI's start, not to the deletion (``--warm``)."""
    import helicone_lite.reports  # noqa: F401
    from helicone_lite.cli import build_parser

    build_parser()


def timed(store: Path, argv: list[str]) -> tuple[float, float, float, int, str]:
    """(CPU s, of which system s, wall s, read/write syscalls, what the command printed) on
    a fresh copy of ``store``: system time counts the kernel's page handling, high after a
    large copy."""
    with tempfile.TemporaryDirectory(dir=store.parent) as tmp:
        home = Path(tmp)
        shutil.copy(store, home / "helicone.db")
        Store(home / "helicone.db").close()  # (a migration, if any, is not timed)
        out = io.StringIO()
        calls = syscalls()
        began, wall = os.times(), time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main([*argv, "--home", str(home)])
        ended, wall = os.times(), time.perf_counter() - wall
        calls = syscalls() - calls
        system = ended.system - began.system
        cpu = ended.user - began.user + system
        if code != 0:
            raise SystemExit(f"{argv}: exit {code}")
    return cpu, system, wall, calls, out.getvalue().strip().splitlines()[-1]


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a store built by bench_cli.py --keep")
    parser.add_argument("--rows", type=int, default=11_200, help="requests the prune removes")
    parser.add_argument("--user-rows", type=int, default=0, help="also delete such a user")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--warm", action="store_true", help="import the CLI's modules first (not timed)"
    )
    args = parser.parse_args()
    if args.warm:
        warm()
    cutoff, user, n = targets(args.store, args.rows, args.user_rows)
    runs = [["prune", "--older-than", cutoff, "--yes"]]
    if args.user_rows:
        runs.append(["delete", "--user", user, "--yes"])
    load = os.getloadavg()[0]
    for argv in runs:
        for _ in range(args.repeat):
            cpu, system, wall, calls, said = timed(args.store, argv)
            label = f"delete --user ({n:,} requests)" if argv[0] == "delete" else "prune"
            print(
                f"{label:<32} CPU {cpu * 1000:6.0f} ms (system {system * 1000:4.0f})  "
                f"wall {wall:5.2f} s  syscalls {calls:,}  load {load:4.1f}"
            )
            print(f"    {said}")


if __name__ == "__main__":
    main_()
