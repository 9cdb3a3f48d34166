"""The Responses API through helicone_lite: plain, streamed, structured, with tools, chained
with ``previous_response_id``, in the background; cached and logged like chat calls.

    python examples/responses_api.py
"""

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)
from pydantic import BaseModel

import helicone_lite

client = helicone_lite.Client(helicone={"user_id": "dr-lee", "session_id": "responses-demo"})


class Triage(BaseModel):
    department: str
    urgent: bool


first = client.responses.create(
    model="gpt-4o-mini",
    input="A patient reports chest pain. Which department?",
    extra_headers={"Helicone-Property-Feature": "triage"},
)
print("plain:", first.output_text, "| Helicone-Id", first.headers["Helicone-Id"])

with client.responses.stream(model="gpt-4o-mini", input="Summarise the triage rules") as stream:
    for event in stream:
        if event.type == "response.output_text.delta":
            print(event.delta, end="", flush=True)
    print()

for attempt in ("MISS", "HIT"):
    parsed = client.responses.parse(
        model="gpt-4o-mini",
        input="Classify: chest pain, 54 years old",
        text_format=Triage,
        extra_headers={"Helicone-Cache-Enabled": "true"},
    )
    print(f"structured ({attempt} expected):", parsed.output_parsed)

follow_up = client.responses.create(
    model="gpt-4o-mini", input="And if the pain spreads to the arm?", previous_response_id=first.id
)
print("follow-up:", follow_up.output_text)

job = client.responses.create(model="gpt-4o-mini", input="Write the shift report", background=True)
print("background:", job.status, "->", client.responses.retrieve(job.id).status)

client.flush()
for row in client.store.query(
    "SELECT kind, model, status, prompt_tokens, completion_tokens, cost_usd, cache_status "
    "FROM requests ORDER BY created_at, rowid"
):
    print(dict(row))
