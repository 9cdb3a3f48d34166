"""The seed's healthcare triage assistant: department-level cost analytics, per-patient tracking
and prompt versioning with five headers.

    python examples/triage_assistant.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))


def triage_patient(patient_id: str, symptoms: str, department: str) -> str:
    """Classify patient symptoms with full observability."""
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {
                "role": "system",
                "content": (
                    "You are a medical triage assistant. Classify urgency as: "
                    "EMERGENCY, URGENT, STANDARD, or LOW-PRIORITY. Give rationale."
                ),
            },
            {"role": "user", "content": f"Patient symptoms: {symptoms}"},
        ],
        max_tokens=200,
        temperature=0.1,
        extra_headers={
            "Helicone-User-Id": patient_id,
            "Helicone-Property-Department": department,
            "Helicone-Property-App": "triage-assistant",
            "Helicone-Property-Environment": "production",
            "Helicone-Prompt-Id": "triage-classifier-v1",
        },
    )
    return response.choices[0].message.content or ""


print(triage_patient("patient-7829", "Severe chest pain, shortness of breath", "cardiology"))
print(triage_patient("patient-4521", "Mild rash on forearm for two days", "dermatology"))
print(triage_patient("patient-9103", "Persistent headache and blurred vision", "neurology"))

client.flush()
print("\ncost by department:")
for row in client.store.query(
    """SELECT p.value AS department, COUNT(*) AS requests, SUM(r.cost_usd) AS cost_usd
       FROM requests r JOIN request_properties p ON p.request_id = r.id AND p.name = 'department'
       GROUP BY 1 ORDER BY 3 DESC"""
):
    print(f"  {row['department']:<12} {row['requests']} request(s)  ${row['cost_usd'] or 0:.6f}")
print(f"\nsee the log: {_offline.hint('requests')}")
