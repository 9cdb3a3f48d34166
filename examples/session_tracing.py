"""The seed's multi-agent session tracing: four agents of a healthcare triage workflow share a
session id, each with its own path, so the session shows up as a tree with per-agent costs.

    python examples/session_tracing.py

Then, on the same log: ``helicone-lite sessions``, ``helicone-lite sessions show ID``,
``helicone-lite costs --by property:agent``.
"""

import os
import uuid

import _offline  # fake provider when no OPENAI_API_KEY is set
from rich.console import Console

import helicone_lite

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))
session_id = str(uuid.uuid4())
patient_id = "patient_12345"


def agent(path: str, model: str, prompt: str, max_tokens: int) -> str:
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        extra_headers={
            "Helicone-Session-Id": session_id,
            "Helicone-Session-Path": path,
            "Helicone-Session-Name": "Patient triage",
            "Helicone-Property-Agent": path.rsplit("/", 1)[1],
            "Helicone-User-Id": patient_id,
        },
    )
    return response.choices[0].message.content or ""


# Agent 1: Triage (parent)
triage = agent("/triage", "gpt-4o-mini", "Patient reports: fatigue, increased thirst...", 150)
# Agent 2: Analysis (child of triage)
analysis = agent("/triage/analysis", "gpt-4o", f"Analyze: {triage}", 300)
# Agent 3: Lab review (grandchild)
labs = agent("/triage/analysis/lab-review", "gpt-4o-mini", f"Review labs for: {analysis}", 200)
# Agent 4: Report (child of triage)
report = agent("/triage/report", "gpt-4o-mini", f"Write the triage report: {labs}", 200)

# The dashboard's session view, from the local log: a tree of paths with per-node totals.
tree = client.reports.session(session_id)
console = Console()
console.print(tree.to_rich())
console.print("\ncost per agent (the node's own requests):")
for node in tree.root.walk():
    if node.requests:
        console.print(f"  {node.path:<30} ${node.self_cost_usd:.6f}")
console.print(f"session total: ${tree.cost_usd:.6f} over {tree.duration_ms:.0f} ms")

client.session_feedback(session_id, True)  # a thumbs-up for the whole workflow
client.close()
print(f"\nnext: {_offline.hint('sessions show ' + session_id[:8])}")
print(f"      {_offline.hint('costs --by property:agent')}")
