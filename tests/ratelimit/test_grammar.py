"""The policy grammar of HELICONE.md, and segment resolution: valid and invalid, table-driven."""

from __future__ import annotations

import pytest

import helicone_lite
from helicone_lite import OptionsError, RateLimitPolicy
from helicone_lite.options._parse import parse_headers, parse_kwargs
from helicone_lite.options._policy import policy_segment
from helicone_lite.options._values import parse_policies
from helicone_lite.testing import FakeProvider

from .conftest import MESSAGES, rows

VALID = [
    # text, normalised policies
    ("100;w=3600", ["100;w=3600"]),
    ("100;w=3600;s=user", ["100;w=3600;s=user"]),
    ("500;w=86400;u=cents;s=user", ["500;w=86400;u=cents;s=user"]),
    ("5000;w=3600;s=property", ["5000;w=3600;s=property"]),
    ("100;W=60;U=REQUEST;S=Org", ["100;w=60;s=org"]),  # case-insensitive, names lowercased
    ("  10 ; w = 60 ; u = cents  ", ["10;w=60;u=cents"]),
    ("0.5;w=60;u=cents", ["0.5;w=60;u=cents"]),  # decimal quota
    ("0.0000001;w=60;u=cents", ["0.0000001;w=60;u=cents"]),  # never 1e-07
    ("100000;w=3600;u=tokens;s=team-a_1", ["100000;w=3600;u=tokens;s=team-a_1"]),
    ("100;w=60;u=requests", ["100;w=60"]),
    ("1;w=1", ["1;w=1"]),  # 1 second: the shortest window
    ("1;w=31536000", ["1;w=31536000"]),  # 1 year: the longest
    ("100;w=60, 1000;w=3600", ["100;w=60", "1000;w=3600"]),
    ("100;w=60,100;W=60", ["100;w=60"]),  # a duplicate would count twice: dropped
    (
        "100;w=3600;s=user, 500;w=86400;u=cents;s=user",
        ["100;w=3600;s=user", "500;w=86400;u=cents;s=user"],
    ),
]

INVALID = [
    # text, what the message must mention
    ("100", "w=<seconds>"),
    ("", "w=<seconds>"),
    ("w=60", "w=<seconds>"),
    ("100;w=0", "window from 1"),
    ("100;w=31536001", "window from 1"),
    ("0;w=60", "positive quota"),
    ("-5;w=60", "w=<seconds>"),
    ("1e3;w=60", "w=<seconds>"),
    (".5;w=60;u=cents", "w=<seconds>"),
    ("100;w=1.5", "w=<seconds>"),
    ("100;w=60;u=dollars", "u=request, u=cents or u=tokens"),
    ("100;s=user;w=60", "in this order"),
    ("100;w=60;s=user;u=cents", "in this order"),
    ("100;w=60;s=", "w=<seconds>"),
    ("100;w=60;s=a.b", "w=<seconds>"),
    ("100;w=60;", "w=<seconds>"),
    ("100;w=60;x=1", "w=<seconds>"),
    ("0.5;w=60", "at least 1 request"),
    ("100;w=60,", "w=<seconds>"),
    ("100;w=60,,5;w=1", "w=<seconds>"),
    ("1" * 400 + ";w=60", "positive quota"),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_policies(text: str, expected: list[str]) -> None:
    assert [p.normalised() for p in parse_policies(text)] == expected
    # the normalised form parses back to the same policies
    assert parse_policies(", ".join(expected)) == parse_policies(text)


@pytest.mark.parametrize(("text", "mention"), INVALID)
def test_invalid_policies(text: str, mention: str) -> None:
    with pytest.raises(OptionsError) as info:
        parse_policies(text)
    message = str(info.value)
    assert message.startswith("Helicone-RateLimit-Policy: ")
    assert mention in message
    # the value is quoted, but at most a short prefix of it (issue 13: no 1 MB messages)
    assert (
        repr(text) if len(text) <= 40 else f"{text[:40]!r}… ({len(text)} characters)"
    ) in message


def test_fields_of_a_parsed_policy() -> None:
    [p] = parse_policies("500;w=86400;u=CENTS;s=User")
    assert (p.quota, p.window, p.unit, p.segment) == (500, 86400, "cents", "user")
    assert p.rate == pytest.approx(500 / 86400)


KEYWORDS = [
    ("100;w=3600;s=user", ["100;w=3600;s=user"]),
    (["100;w=60", "1000;w=3600"], ["100;w=60", "1000;w=3600"]),
    (
        {"quota": 500, "window": 86400, "unit": "cents", "segment": "user"},
        ["500;w=86400;u=cents;s=user"],
    ),
    ([{"quota": 5000, "w": 3600, "s": "Department"}], ["5000;w=3600;s=department"]),
    (RateLimitPolicy(10, 60, "tokens"), ["10;w=60;u=tokens"]),
]


@pytest.mark.parametrize(("value", "expected"), KEYWORDS)
def test_keyword_forms(value: object, expected: list[str]) -> None:
    opts = parse_kwargs({"ratelimit_policy": value})
    assert opts.ratelimit_policy is not None
    assert [p.normalised() for p in opts.ratelimit_policy] == expected


@pytest.mark.parametrize(
    "value",
    [
        {"quota": 0, "window": 60},
        {"quota": 10, "window": "60"},
        {"quota": 10, "window": 60, "unit": "dollars"},
        {"quota": 10, "window": 60, "color": "red"},
        {"quota": True, "window": 60},
        [],
        42,
        [42],
    ],
)
def test_bad_keyword_forms(value: object) -> None:
    with pytest.raises(OptionsError, match="ratelimit_policy"):
        parse_kwargs({"ratelimit_policy": value})


@pytest.mark.parametrize(
    "args", [(0, 60), (10, 0), (10, 60, "dollars"), (0.5, 60), (10, 60, "request", "a b")]
)
def test_policy_objects_validate_themselves(args: tuple[object, ...]) -> None:
    with pytest.raises(OptionsError, match="RateLimitPolicy"):
        RateLimitPolicy(*args)  # type: ignore[arg-type]


SEGMENTS = [
    # policy, user, properties, expected segment
    ("100;w=60", None, {}, ("", "")),
    ("100;w=60", "alice", {"team": "a"}, ("", "")),
    ("100;w=60;s=user", "alice", {}, ("user", "alice")),
    ("100;w=60;s=department", None, {"department": "cardiology"}, ("department", "cardiology")),
    ("100;w=60;s=property", None, {"department": "cardiology"}, ("department", "cardiology")),
    ("100;w=60;s=property", None, {"property": "p", "team": "t"}, ("property", "p")),
]


@pytest.mark.parametrize(("text", "user", "props", "expected"), SEGMENTS)
def test_segments(
    text: str, user: str | None, props: dict[str, str], expected: tuple[str, str]
) -> None:
    [policy] = parse_policies(text)
    assert policy_segment(policy, user, props) == expected


MISSING = [
    ("100;w=60;s=user", None, {"team": "a"}, "Helicone-User-Id"),
    ("100;w=60;s=user", "", {}, "Helicone-User-Id"),
    ("100;w=60;s=department", "alice", {"team": "a"}, "Helicone-Property-Department"),
    ("100;w=60;s=department", None, {"department": ""}, "Helicone-Property-Department"),
    ("100;w=60;s=property", None, {}, "Helicone-Property-<Name>"),
    ("100;w=60;s=property", None, {"team": "a", "department": "b"}, "['department', 'team']"),
]


@pytest.mark.parametrize(("text", "user", "props", "mention"), MISSING)
def test_missing_segment_values(
    text: str, user: str | None, props: dict[str, str], mention: str
) -> None:
    [policy] = parse_policies(text)
    with pytest.raises(OptionsError, match="Helicone-RateLimit-Policy") as info:
        policy_segment(policy, user, props)
    assert mention in str(info.value)


@pytest.mark.parametrize(
    "headers",
    [
        {"Helicone-RateLimit-Policy": "100;w=60;u=dollars"},
        {"Helicone-RateLimit-Policy": "100;w=60;s=user"},
        {"Helicone-RateLimit-Policy": "100;w=60;s=department", "Helicone-Property-Team": "a"},
        {"Helicone-RateLimit-Policy": "100;w=60;s=property"},
        {
            "Helicone-RateLimit-Policy": "100;w=60;s=property",
            "Helicone-Property-Team": "a",
            "Helicone-Property-Department": "b",
        },
    ],
)
def test_bad_policy_raises_before_any_call_and_logs_nothing(
    fake: FakeProvider, home: object, headers: dict[str, str]
) -> None:
    client = helicone_lite.Client(api_key="sk-test", base_url=fake.openai_base_url, home=home)
    with pytest.raises(OptionsError, match="Helicone-RateLimit-Policy"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
        )
    assert fake.requests == []
    assert rows(client) == []


def test_the_body_user_is_a_user_id(fake: FakeProvider, home: object) -> None:
    client = helicone_lite.Client(api_key="sk-test", base_url=fake.openai_base_url, home=home)
    r = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        user="bob",
        extra_headers={"Helicone-RateLimit-Policy": "100;w=60;s=user"},
    )
    assert r.headers["Helicone-RateLimit-Remaining"] == "99"


def test_headers_and_keyword_agree() -> None:
    opts, _ = parse_headers({"helicone-ratelimit-policy": "100;w=3600;s=USER"})
    assert (
        opts.ratelimit_policy
        == parse_kwargs({"ratelimit_policy": "100;w=3600;s=user"}).ratelimit_policy
    )
