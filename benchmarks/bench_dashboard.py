"""Every dashboard page's server time on a 1,000,000-request store (budget: 300 ms median).

Generates the store of ``bench_reports.py`` (90 days of a multi-agent triage app: 2,000 users,
8 models, sessions of 20 requests, 3 properties a request, cache hits, errors, scores, bodies;
rows written with ``executemany`` into the real schema), then requests each page through the
ASGI app in process (Starlette's TestClient: no network, no browser) and prints the median
wall time and the median CPU time of ``--repeat`` requests, and the page's size. The overview page is a frame whose
three panels load (and refresh) as separate requests: each is timed on its own. Each page is timed with the default
range (last 7 days, what a page opens with) and over all 90 days (``range=all``).

    python benchmarks/bench_dashboard.py                        # 1,000,000 rows, temp dir
    python benchmarks/bench_dashboard.py -n 200000 --keep /tmp/dash.db   # reused if present
    python benchmarks/bench_dashboard.py --keep /tmp/dash.db --sorts     # index vs sort, A/B

    python benchmarks/bench_dashboard.py --keep /tmp/dash.db --sessions  # the session sorts

``--sessions`` times only the session list under each sort (median CPU and wall of
``--repeat``), over the default range and all 90 days: run this file from two trees (copy it
into the other) and alternate them to compare.

``--sorts`` times only the request list under each indexed sort, read from its index and
(the same request, the index path turned off) by sorting the range, alternating the two in
the same minutes so that a loaded machine slows both alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reports import generate
from starlette.testclient import TestClient

from helicone_lite.dashboard import create_app
from helicone_lite.store import Store

BUDGET_MS = 300.0


def pages(store: Store) -> list[tuple[str, str]]:
    """(label, path) of every page, with real ids from the store."""
    last = store.query(
        "SELECT id, session_id, user_id FROM requests INDEXED BY idx_requests_created_at "
        "ORDER BY created_at DESC LIMIT 1"
    )[0]
    busiest = store.query(
        "SELECT user_id FROM requests INDEXED BY idx_requests_user WHERE user_id IS NOT NULL "
        "GROUP BY user_id ORDER BY count(*) DESC LIMIT 1"
    )[0]["user_id"]
    return [
        ("overview (the page)", "/"),
        ("overview: figures panel", "/overview/kpis"),
        ("overview: charts panel", "/overview/charts"),
        ("overview: top users/models panel", "/overview/tops"),
        ("overview: figures, status=error", "/overview/kpis?status=error"),
        ("requests", "/requests"),
        ("requests, page 100", "/requests?page=100"),
        ("requests by cost", "/requests?sort=cost"),
        ("requests by latency", "/requests?sort=latency"),
        ("requests by tokens", "/requests?sort=tokens"),
        ("requests by latency, fastest", "/requests?sort=latency&dir=asc"),
        ("requests by model", "/requests?sort=model"),
        ("requests by model, ascending", "/requests?sort=model&dir=asc"),
        ("requests by status", "/requests?sort=status"),
        ("requests by user", "/requests?sort=user"),
        ("requests by user, ascending", "/requests?sort=user&dir=asc"),
        ("requests, department=cardiology", "/requests?prop=department%3Dcardiology"),
        ("requests, status=error", "/requests?status=error"),
        ("request detail", f"/requests/{quote(last['id'])}"),
        ("request thread", f"/requests/{quote(last['id'])}/thread"),
        ("sessions", "/sessions"),
        ("sessions by cost", "/sessions?sort=cost"),
        ("session tree", f"/sessions/{quote(last['session_id'])}"),
        ("users", "/users"),
        ("users, department=cardiology", "/users?prop=department%3Dcardiology"),
        ("overview: tops, department=cardiology", "/overview/tops?prop=department%3Dcardiology"),
        ("user", f"/users/{quote(last['user_id'])}"),
        ("user (the busiest)", f"/users/{quote(busiest)}"),
        ("properties", "/properties?name=department"),
        ("properties agent, model=gpt-4o", "/properties?name=agent&model=gpt-4o"),
        ("threats", "/threats"),
        ("prompts", "/prompts"),
        ("scores", "/scores"),
        ("cache", "/cache"),
        ("rate limits", "/limits"),
        ("alerts", "/alerts"),
        ("query", "/query?sql=SELECT+model%2C+count(*)+FROM+requests+GROUP+BY+1"),
        ("query, rollup", "/query?sql=SELECT+model%2C+sum(requests)+FROM+rollup_models+GROUP+BY+1"),
    ]


def measure(client: TestClient, path: str, repeat: int) -> tuple[float, float, int]:
    """Median wall and median CPU time (ms) of ``repeat`` requests, and the page's size.

    The app runs in this process, so CPU time is the server's work for the request whatever
    else the machine is doing; wall time also counts waiting for a core.
    """
    walls, cpus = [], []
    size = 0
    client.get(path)  # warm: templates compiled, connections opened
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        size = len(response.content)
    return statistics.median(walls), statistics.median(cpus), size


def sorts_ab(client: TestClient, repeat: int) -> None:
    """Each indexed sort from its index (A) and by sorting the range (B), interleaved."""
    from helicone_lite.reports import _requests

    indexes = dict(_requests._SORT_INDEXES)
    by_day = dict(_requests._DAY_INDEXES)  # (cost, latency, tokens: led by the day)
    print(f"{'request list':34} {'from its index':>22} {'sorting the range':>22}")
    for sort in indexes:
        for extra in ("", "&dir=asc", "&range=all", "&dir=asc&range=all"):
            path = f"/requests?sort={sort}{extra}"
            cells: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for _ in range(repeat):
                for indexed in (True, False):
                    _requests._SORT_INDEXES.clear()
                    _requests._SORT_INDEXES.update(indexes if indexed else {})
                    _requests._DAY_INDEXES.clear()
                    _requests._DAY_INDEXES.update(by_day if indexed else {})
                    wall, cpu, _ = measure(client, path, 1)
                    cells[indexed].append((wall, cpu))
            _requests._SORT_INDEXES.update(indexes)
            _requests._DAY_INDEXES.update(by_day)
            shown = [
                f"{statistics.median(w for w, _ in cells[k]):7.1f} ms "
                f"({statistics.median(c for _, c in cells[k]):6.1f})"
                for k in (True, False)
            ]
            print(f"{path[10:]:34} {shown[0]:>22} {shown[1]:>22}")


def session_sorts(client: TestClient, repeat: int) -> None:
    """The session list under each sort: median wall (CPU) ms, last 7 days and all 90."""
    print(f"{'session list':34} {'last 7 days':>22} {'all 90 days':>22}")
    for sort in ("recent", "cost", "requests", "tokens", "errors", "duration"):
        cells = []
        for extra in ("", "&range=all"):
            wall, cpu, _ = measure(client, f"/sessions?sort={sort}{extra}", repeat)
            cells.append(f"{wall:7.1f} ms ({cpu:6.1f})")
        print(f"{'sessions by ' + sort:34} {cells[0]:>22} {cells[1]:>22}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="requests in the store")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (median kept)")
    parser.add_argument("--keep", type=Path, help="store path to keep and reuse")
    parser.add_argument("--sorts", action="store_true", help="only the sorts, index vs not")
    parser.add_argument("--sessions", action="store_true", help="only the session list's sorts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "helicone.db"
        if not path.exists():
            began = time.perf_counter()
            generate(path, args.n, grown=False)
            print(f"generated {args.n:,} requests in {time.perf_counter() - began:.0f} s")
        store = Store(path)
        count = store.query("SELECT count(*) AS n FROM requests")[0]["n"]
        client = TestClient(create_app(home=path.parent, db=path), base_url="http://127.0.0.1")
        if args.sorts:
            sorts_ab(client, args.repeat)
            return
        if args.sessions:
            session_sorts(client, args.repeat)
            return
        print(f"{count:,} requests; median wall (CPU) time of {args.repeat} requests per page\n")
        print(f"{'page':34} {'last 7 days':>22} {'all 90 days':>22} {'size':>8}")
        over = []
        for label, path_ in pages(store):
            cells = []
            size = 0
            for extra in ("", "range=all"):
                joined = path_ + (("&" if "?" in path_ else "?") + extra if extra else "")
                median, cpu, size = measure(client, joined, args.repeat)
                cells.append(f"{median:7.1f} ms ({cpu:6.1f})")
                if median > BUDGET_MS:
                    over.append(f"{label} {extra or 'default range'}: {median:.0f} ms")
            print(f"{label:34} {cells[0]:>22} {cells[1]:>22} {size / 1024:6.1f} kB")
        store.close()
        print("\nover the 300 ms budget: " + ("; ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
