"""A multi-agent workflow (part 3 of the seed series): triage, then a specialist chosen by
urgency, then a report; one session tree, cost per agent.
    python examples/multi_agent.py
"""

import os
import uuid

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)

import helicone_lite

client = helicone_lite.Client(
    base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY")
)


def agent(session, path, name, department, model, prompt, patient, cache=False):
    headers = {
        "Helicone-Session-Id": session,
        "Helicone-Session-Path": path,
        "Helicone-Session-Name": "Healthcare Multi-Agent Workflow",
        "Helicone-Property-Agent": name,
        "Helicone-Property-Department": department,
        "Helicone-User-Id": patient,
    }
    if cache:
        headers["Helicone-Cache-Enabled"] = "true"
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], extra_headers=headers
    )
    return r.choices[0].message.content or ""


def workflow(patient, symptoms):
    session = str(uuid.uuid4())
    triage = agent(session, "/triage", "triage", "emergency-dept", "gpt-4o-mini",
                   f"Triage (EMERGENCY or ROUTINE): {symptoms}", patient, cache=True)  # fmt: skip
    emergency = "chest pain" in symptoms.lower() or triage.strip().upper().startswith("EMERGENCY")
    if emergency:
        agent(session, "/triage/emergency-specialist", "emergency-specialist", "emergency-dept",
              "gpt-4o", f"Immediate steps for: {symptoms}", patient)  # fmt: skip
    else:
        agent(session, "/triage/routine-specialist", "routine-specialist", "primary-care",
              "gpt-4o-mini", f"Care plan for: {symptoms}", patient, cache=True)  # fmt: skip
    agent(session, "/triage/report", "report-generator", "medical-records", "gpt-4o-mini",
          f"Write the visit report for: {symptoms}", patient)  # fmt: skip
    return session


workflow("patient-001", "Severe chest pain radiating to left arm")
workflow("patient-002", "Mild seasonal allergies")
client.flush()
for row in client.store.query(
    "SELECT json_extract(properties, '$.agent') AS agent, count(*) AS calls, "
    "round(sum(cost_usd), 6) AS cost FROM requests GROUP BY agent ORDER BY agent"
):
    print(row)
