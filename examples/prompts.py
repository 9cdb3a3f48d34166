"""Prompt management: create a versioned prompt, call it, ship v2, roll back, see the figures.

python examples/prompts.py
"""

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

client = helicone_lite.Client()
prompts = client.prompts

# 1. The prompt lives outside the code: messages with typed inputs, a model, parameters.
if not any(p.id == "triage" for p in prompts.list()):
    prompts.create(
        "triage",
        messages=[
            {
                "role": "system",
                "content": "You are a medical triage assistant for {{hc:department:string}}. "
                "Classify urgency as EMERGENCY, URGENT, STANDARD or LOW-PRIORITY.",
            },
            {"role": "user", "content": "Patient, {{hc:age:number}} years: {{ symptoms }}"},
        ],
        model="gpt-4o-mini",
        temperature=0.1,
        max_tokens=200,
        description="urgency classifier",
    )
v1 = prompts.get("triage")
prompts.deploy("triage", v1.version)


def triage(department: str, age: int, symptoms: str) -> str:
    # No model, no messages: both come from the version deployed to production.
    response = client.chat.completions.create(
        extra_headers={"Helicone-Prompt-Id": "triage"},
        helicone={"prompt_inputs": {"department": department, "age": age, "symptoms": symptoms}},
    )
    return response.choices[0].message.content or ""


print(triage("cardiology", 54, "chest pain radiating to the left arm"))

# 2. Ship a new version; v1 stays exactly as it was.
v2 = prompts.update("triage", temperature=0.0, max_tokens=120)
prompts.deploy("triage", v2.version)
print(triage("dermatology", 31, "mild rash on the forearm"))

# 3. Quality dropped? One call (or `helicone-lite prompts rollback triage`).
back = prompts.rollback("triage")
print(f"rolled back production: v{back.from_version} -> v{back.to_version}")
print(triage("neurology", 67, "sudden blurred vision"))

# 4. A missing or wrongly typed input fails before any provider is called.
try:
    triage("neurology", "sixty", "headache")  # type: ignore[arg-type]
except helicone_lite.PromptError as exc:
    print(f"refused: {exc}")

# 5. Every call says which version produced it; figures per version come from the log.
client.flush()
for row in client.store.query(
    "SELECT prompt_version, prompt_environment, prompt_inputs FROM requests "
    "WHERE prompt_id = 'triage' ORDER BY created_at"
):
    print(row)
for stats in prompts.stats("triage"):
    print(
        f"v{stats.version}: {stats.calls} call(s), error rate {stats.error_rate}, "
        f"cost {stats.cost_usd}"
    )
for move in prompts.history("triage"):
    print(
        f"{move.created_at} {move.environment}: {move.action} "
        f"{move.from_version} -> {move.to_version}"
    )
print(f"\nsee the log: {_offline.hint('requests')}")
