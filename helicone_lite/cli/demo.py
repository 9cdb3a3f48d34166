"""``helicone-lite demo``: a multi-agent triage workflow, logged, then shown.

Runs against the built-in fake provider unless a real ``OPENAI_API_KEY`` is set (then the real
provider, with small, cheap calls). Everything is written to the normal store, so the other
commands (``requests``, ``query``, ``sessions``…) can be tried on it afterwards.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from ._common import console, home_of

__all__ = ["register"]

PATIENTS = (
    ("patient-7829", "cardiology", "Severe chest pain, shortness of breath, radiating to left arm"),
    ("patient-4521", "endocrinology", "Fatigue, increased thirst, frequent urination for 3 weeks"),
)

# (session path, model, agent, prompt template, scripted answer for the fake provider)
STEPS = (
    (
        "/triage",
        "gpt-4o-mini",
        "triage",
        "Patient reports: {symptoms}. Classify urgency.",
        "URGENT: symptoms need same-day assessment.",
    ),
    (
        "/triage/analysis",
        "gpt-4o",
        "analysis",
        "Analyze: {previous}",
        "Differential: acute coronary syndrome vs. metabolic cause; order ECG and labs.",
    ),
    (
        "/triage/analysis/lab-review",
        "gpt-4o-mini",
        "lab-review",
        "Review labs for: {previous}",
        "Troponin and HbA1c requested; glucose 212 mg/dL is elevated.",
    ),
    (
        "/triage/report",
        "gpt-4o-mini",
        "report",
        "Write the triage report: {previous}",
        "Report: urgent referral, labs pending, follow up in 24 h.",
    ),
)

QUESTION = "What is diabetes?"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a logged multi-agent workflow (offline: built-in fake provider)"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use the fake provider even when OPENAI_API_KEY is set",
    )
    parser.set_defaults(handler=run)


@contextmanager
def _provider(offline: bool) -> Iterator[dict[str, Any]]:
    """Client arguments for the real provider, or for a scripted fake one."""
    if os.environ.get("OPENAI_API_KEY") and not offline:
        yield {}
        return
    from ..testing import FakeProvider

    with FakeProvider() as fake:
        providers = [
            {"name": "anthropic", "base_url": fake.anthropic_base_url, "api_key": "sk-fake-demo"},
            {"name": "gemini", "base_url": fake.gemini_base_url, "api_key": "fake-demo-key"},
        ]
        yield {
            "api_key": "sk-fake-demo",
            "base_url": fake.openai_base_url,
            "providers": providers,
            "_fake": fake,
        }


def _agents(client: Any, fake: Any, patient: str, department: str, symptoms: str) -> str:
    import helicone_lite

    from ..testing import Reply

    session = str(uuid.uuid4())
    previous = symptoms
    with helicone_lite.session(session, name="Patient triage"), helicone_lite.user(patient):
        for path, model, agent, template, answer in STEPS:
            if fake is not None:  # a realistic answer, and a little latency, per agent
                fake.enqueue(Reply(text=answer, latency=0.03))
            r = client.chat.completions.create(
                model=model,
                max_tokens=120,
                messages=[
                    {
                        "role": "user",
                        "content": template.format(symptoms=symptoms, previous=previous),
                    }
                ],
                extra_headers={
                    "Helicone-Session-Path": path,
                    "Helicone-Property-Agent": agent,
                    "Helicone-Property-Department": department,
                },
            )
            previous = r.choices[0].message.content or ""
    return session


def _repeated_question(client: Any, fake: Any) -> list[str]:
    from ..testing import Reply

    if fake is not None:
        fake.enqueue(
            Reply(text="Diabetes is a chronic condition of high blood glucose.", latency=0.2)
        )
    statuses = []
    for _ in range(3):
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            temperature=0,
            max_tokens=120,
            messages=[{"role": "user", "content": QUESTION}],
            extra_headers={
                "Helicone-Cache-Enabled": "true",
                "Cache-Control": "max-age=86400",
                "Helicone-User-Id": "demo-user",
                "Helicone-Property-Feature": "faq",
            },
        )
        statuses.append(r.headers.get("Helicone-Cache") or "(no cache layer)")
    return statuses


COMPARE = ("gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash")


def _compare(client: Any, fake: Any) -> list[tuple[str, str]]:
    """The same question to an OpenAI, a Claude and a Gemini model through one client."""
    import helicone_lite

    from ..testing import Reply

    done = []
    for model in COMPARE:
        if fake is not None:
            fake.enqueue(Reply(text="A chronic condition of high blood glucose.", latency=0.05))
        try:
            r = client.chat.completions.create(
                model=model,
                max_tokens=120,
                messages=[{"role": "user", "content": QUESTION}],
                extra_headers={"Helicone-Property-Feature": "compare"},
            )
        except helicone_lite.ProviderNotConfigured as exc:
            done.append((model, f"skipped: set {' or '.join(exc.env)}"))
            continue
        done.append((model, r.model))
    return done


def run(args: argparse.Namespace) -> int:
    import helicone_lite

    out = console()
    home = home_of(args)
    with ExitStack() as stack:
        settings = stack.enter_context(_provider(args.offline))
        fake = settings.pop("_fake", None)
        client = helicone_lite.Client(home=home, **settings)
        where = "the built-in fake provider" if fake else "the real OpenAI API"
        out.print(f"[bold]helicone_lite demo[/] against {where}; log: {client.store.path}")
        sessions = []
        with out.status("running a 4-agent triage workflow for 2 patients…"):
            for patient, department, symptoms in PATIENTS:
                sessions.append(_agents(client, fake, patient, department, symptoms))
        with out.status(f"asking {QUESTION!r} three times with caching on…"):
            statuses = _repeated_question(client, fake)
        with out.status(f"asking {QUESTION!r} of OpenAI, Claude and Gemini…"):
            compared = _compare(client, fake)
        client.flush()
        _show(out, client, sessions, statuses, compared)
        client.close()
    return 0


def _show(
    out: Any,
    client: Any,
    sessions: list[str],
    statuses: list[str],
    compared: list[tuple[str, str]],
) -> None:
    from rich.table import Table
    from rich.tree import Tree

    store = client.store
    marks = ",".join("?" * len(sessions))
    rows = store.query(
        f"SELECT * FROM requests WHERE session_id IN ({marks}) ORDER BY created_at", sessions
    )
    for session in sessions:
        mine = [r for r in rows if r["session_id"] == session]
        cost = sum(r["cost_usd"] or 0 for r in mine)
        tree = Tree(
            f"[bold]session {session[:8]}[/] user {mine[0]['user_id']}  "
            f"{len(mine)} requests  ${cost:.6f}"
        )
        nodes: dict[str, Any] = {}
        for r in mine:
            path = r["session_path"]
            parent = nodes.get(path.rsplit("/", 1)[0] or "/", tree)
            nodes[path] = parent.add(
                f"{path}  [dim]{r['model']}  {r['prompt_tokens']}→{r['completion_tokens']} tok  "
                f"${(r['cost_usd'] or 0):.6f}  {r['latency_ms']:.0f} ms[/]"
            )
        out.print(tree)
    out.print(f"\n{QUESTION!r} three times: {' → '.join(statuses)}")
    table = Table(title="cost by model (this demo's store)")
    for col in ("model", "requests", "tokens", "cost"):
        table.add_column(col)
    for r in store.query(
        "SELECT model, COUNT(*) AS n, SUM(total_tokens) AS t, SUM(cost_usd) AS c "
        "FROM requests GROUP BY model ORDER BY c DESC"
    ):
        table.add_row(r["model"], str(r["n"]), str(r["t"] or 0), f"${(r['c'] or 0):.6f}")
    out.print(table)
    _show_compare(out, client, compared)
    out.print(
        "\nnext: [bold]helicone-lite dashboard[/] (everything above in your browser), "
        '[bold]helicone-lite requests[/], [bold]helicone-lite query "SELECT * FROM requests LIMIT 5"[/]'
    )


def _show_compare(out: Any, client: Any, compared: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=f"{QUESTION!r}, one client, three providers")
    for col in ("model", "answered by", "provider", "tokens", "cost"):
        table.add_column(col)
    rows = client.store.query(
        "SELECT model, response_model, provider, total_tokens, cost_usd FROM requests "
        "WHERE json_extract(properties, '$.feature') = 'compare' ORDER BY created_at"
    )
    by_model = {r["model"]: r for r in rows}
    for model, outcome in compared:
        r = by_model.get(model)
        if r is None:
            table.add_row(model, outcome, "", "", "")
            continue
        cost = "—" if r["cost_usd"] is None else f"${r['cost_usd']:.6f}"
        table.add_row(model, r["response_model"], r["provider"], str(r["total_tokens"]), cost)
    out.print(table)
