"""``helicone-lite demo``: a multi-agent triage workflow, logged, then shown.

Always offline: it runs against the built-in fake provider whatever the environment holds
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``HELICONE_LITE_REDIS_URL``… are ignored). ``--live``
opts into the real providers (billed, small calls; keys from the environment). Everything is
written to the home's store, so the other commands (``requests``, ``sessions``…) can be tried
on it afterwards; the hints it prints name that home.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from ._common import home_of
from ._output import Column, Output, safe_text

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
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--live", action="store_true", help="call the real providers (keys from the environment)"
    )
    mode.add_argument("--offline", action="store_true", help="the default: the fake provider")
    parser.set_defaults(handler=run)


@contextmanager
def _provider(live: bool) -> Iterator[dict[str, Any]]:
    """Client arguments for the real providers, or for a scripted fake one (every endpoint,
    key and backend given explicitly, so nothing from the environment is used)."""
    if live:
        if not os.environ.get("OPENAI_API_KEY"):
            from ._common import CliError

            raise CliError("--live needs OPENAI_API_KEY (and optionally the other providers')")
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
            "redis_url": None,
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

    out = Output("table" if sys.stdout.isatty() else "tsv")
    home = home_of(args)
    with ExitStack() as stack:
        settings = stack.enter_context(_provider(args.live))
        fake = settings.pop("_fake", None)
        client = helicone_lite.Client(home=home, **settings)
        where = "the built-in fake provider" if fake else "the real provider APIs"
        out.line(f"helicone_lite demo against {where}; log: {safe_text(client.store.path)}")
        out.line("running a 4-agent triage workflow for 2 patients…")
        sessions = [_agents(client, fake, *patient) for patient in PATIENTS]
        out.line(f"asking {QUESTION!r} three times with caching on…")
        statuses = _repeated_question(client, fake)
        out.line(f"asking {QUESTION!r} of OpenAI, Claude and Gemini…")
        compared = _compare(client, fake)
        client.flush()
        _show(out, client, sessions, statuses, compared)
        client.close()
    _hints(out, home, session=sessions[0])
    return 0


def _show(
    out: Output,
    client: Any,
    sessions: list[str],
    statuses: list[str],
    compared: list[tuple[str, str]],
) -> None:
    from ..reports import Reports

    reports = Reports(client.store)
    for session in sessions:
        out.line()
        out.rich(reports.session(session).to_rich())
    out.line()
    out.line(f"{QUESTION!r} three times: {' → '.join(safe_text(s) for s in statuses)}")
    out.line()
    rows = client.store.query(
        "SELECT model, COUNT(*) AS requests, SUM(total_tokens) AS tokens, "
        "SUM(cost_usd) AS cost_usd FROM requests GROUP BY model ORDER BY cost_usd DESC"
    )
    money = _money
    out.rows(
        (
            Column("model"),
            Column("requests", kind="number"),
            Column("tokens", kind="number"),
            Column("cost_usd", "cost", kind="number", fmt=money),
        ),
        rows,
        title="cost by model (this demo's store)",
    )
    _show_compare(out, client, compared)


def _money(value: Any) -> str:
    return "—" if value is None else f"${value:.6f}"


def _hints(out: Output, home: Any, *, session: str) -> None:
    """What to try next, with the ``--home`` this run used."""
    import shlex

    flag = f" --home {shlex.quote(str(home))}"
    out.line()
    out.line("next:")
    for command in (
        "requests",
        f"sessions show {session[:8]}",
        "costs --by user",
        "cache stats",
        "info",
        "dashboard --open",
    ):
        out.line(f"  helicone-lite{flag} {command}")


def _show_compare(out: Output, client: Any, compared: list[tuple[str, str]]) -> None:
    rows = client.store.query(
        "SELECT model, response_model, provider, total_tokens, cost_usd FROM requests "
        "WHERE json_extract(properties, '$.feature') = 'compare' ORDER BY created_at"
    )
    by_model = {r["model"]: r for r in rows}
    table = []
    for model, outcome in compared:
        r = by_model.get(model)
        table.append(
            {"model": model, "answered by": outcome}
            if r is None
            else {
                "model": model,
                "answered by": r["response_model"],
                "provider": r["provider"],
                "tokens": r["total_tokens"],
                "cost_usd": r["cost_usd"],
            }
        )
    out.line()
    out.rows(
        (
            Column("model"),
            Column("answered by"),
            Column("provider"),
            Column("tokens", kind="number"),
            Column("cost_usd", "cost", kind="number", fmt=_money),
        ),
        table,
        title=f"{QUESTION!r}, one client, three providers",
    )
