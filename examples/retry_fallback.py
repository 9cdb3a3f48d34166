"""The seed's retry + fallback example, then what happens around it.

Unchanged from the Helicone version but for the client line. Offline (no OPENAI_API_KEY), the
fake provider plays a bad afternoon for gpt-4o: rate limits, a blip, an outage.
    python examples/retry_fallback.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set
import openai

import helicone_lite

fake = getattr(_offline, "_fake", None)  # the fake provider, when running offline
if fake is not None:
    from helicone_lite.testing import Fault

    # OpenAI answers 429 "come back in 30 s": longer than Helicone-Retry-Max-Timeout (10 s),
    # so helicone_lite does not wait; it falls back to Claude at once.
    fake.script("gpt-4o", Fault(status=429, retry_after=30), times=1)

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))


def path_of(request_id: str) -> None:
    """The path the call took, from the attempts table (one row per attempt)."""
    client.flush()
    rows = client.store.query(
        "SELECT attempt, provider, model, status, wait_ms, error FROM attempts"
        " WHERE request_id = ? ORDER BY attempt",
        (request_id,),
    )
    for row in rows:
        error = (row["error"] or "")[:60]
        print(
            f"    #{row['attempt']} {row['model']} ({row['provider']}): {row['status']}"
            f" after {row['wait_ms'] / 1000:.1f} s {error}"
        )


# 1. The seed: try GPT-4o first, fallback to Claude if OpenAI fails
response = client.chat.completions.create(
    model="gpt-4o/claude-sonnet-4",  # Primary / Fallback
    messages=[{"role": "user", "content": "Critical query with fallback"}],
    max_tokens=100,
    extra_headers={
        "Helicone-Retry-Enabled": "true",
        "Helicone-Retry-Num": "3",  # Max 3 retries
        "Helicone-Retry-Factor": "2",  # Exponential backoff: 1s, 2s, 4s
        "Helicone-Fallback-Enabled": "true",
    },
)
# If OpenAI hits rate limits: automatic retry with Claude after 1s delay
print(
    f"1. answered by {response.model} via {response.headers['Helicone-Provider']}"
    f" (fallback index {response.headers['Helicone-Fallback-Index']})"
)
path_of(response.headers["Helicone-Id"])

# 2. A blip: one 503, then gpt-4o is fine again; one retry after 1-2 s.
if fake is not None:
    fake.script("gpt-4o", Fault(status=503), times=1)
response = client.chat.completions.create(
    model="gpt-4o/claude-sonnet-4",
    messages=[{"role": "user", "content": "Second query"}],
    helicone={"retry_enabled": True, "retry_num": 3},
)
print(f"2. answered by {response.model} after a retry")
path_of(response.headers["Helicone-Id"])

# 3. An outage everywhere: the last error, as openai raises it, with every attempt in it.
if fake is not None:
    fake.script("gpt-4o", Fault(status=500))
    fake.script("claude-*", Fault(status=529, message="Overloaded"))
    fake.script("gemini-*", Fault(status=503, message="The model is overloaded."))
quiet = client.with_options(max_retries=0)  # no SDK-style retries: one attempt per target
try:
    quiet.chat.completions.create(
        model="gpt-4o,claude-sonnet-4,gemini-2.0-flash",
        messages=[{"role": "user", "content": "Third query"}],
    )
except openai.APIStatusError as error:
    print(f"3. {type(error).__name__} {error.status_code}:")
    print("   ", str(error).split("[helicone_lite: ", 1)[-1][:300], "...")

# 4. A target that fails 3 times in a row cools down (30 s, or its Retry-After): while another
#    target can answer, it is skipped, and the attempts table says so.
if fake is not None:
    fake.reset()
    fake.script("gpt-4o", Fault(status=500))
for number in range(3):
    response = quiet.chat.completions.create(
        model="gpt-4o/gpt-4o-mini", messages=[{"role": "user", "content": f"Query 4.{number}"}]
    )
    print(f"4.{number} answered by {response.model}")
path_of(response.headers["Helicone-Id"])
