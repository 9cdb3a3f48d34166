"""The README's order when several places set one option: client defaults, then ``with``
scopes, then the call's headers, then its ``helicone=`` (checked over real HTTP, as logged)."""

from __future__ import annotations

import helicone_lite
from helicone_lite.testing.pytest_plugin import MakeClient

from .conftest import MESSAGES, rows


def test_the_most_specific_setting_wins(make_client: MakeClient) -> None:
    client = make_client(default_headers={"Helicone-User-Id": "default"})
    ask = client.chat.completions.create
    with helicone_lite.user("scope"):
        a = ask(model="gpt-4o-mini", messages=MESSAGES)
        b = ask(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": "hdr"})
        c = ask(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"helicone-user-id": "hdr"},
            helicone={"user_id": "kw"},
        )
    d = ask(model="gpt-4o-mini", messages=MESSAGES)
    client.flush()
    users = {r["id"]: r["user_id"] for r in rows(client)}
    assert [users[x.headers["Helicone-Id"]] for x in (a, b, c, d)] == [
        "scope", "hdr", "kw", "default"
    ]
