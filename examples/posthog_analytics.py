"""PostHog product analytics (part 3 of the seed series): one event per call.

Offline, events go to a small local capture endpoint started here; online, set POSTHOG_API_KEY
(and POSTHOG_HOST if not PostHog US cloud). Needs `pip install 'helicone-lite[posthog]'`.
    python examples/posthog_analytics.py
"""

import http.server
import json
import os
import threading

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)

import helicone_lite

host = os.getenv("POSTHOG_HOST", "https://us.i.posthog.com")
received = []
if not os.getenv("POSTHOG_API_KEY"):  # offline: a local capture endpoint

    class Capture(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.extend(
                json.loads(self.rfile.read(int(self.headers["Content-Length"])))["batch"]
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_port}"

client = helicone_lite.Client(
    base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY")
)
response = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Generate a monthly sales report summary"}],
    extra_headers={
        "Helicone-User-Id": "user_12345",
        "Helicone-Property-Feature": "report-generation",
        "Helicone-Property-Plan": "enterprise",
        "Helicone-PostHog-Key": os.getenv("POSTHOG_API_KEY", "phc_offline"),
        "Helicone-PostHog-Host": host,
        "Helicone-PostHog-Event": "llm_report_generated",
    },
)
client.flush()  # also drains the PostHog queue (it is drained at exit too)
for event in received:
    props = event["properties"]
    print(event["event"], event["distinct_id"], props["model"], props["cost_usd"], props["feature"])
