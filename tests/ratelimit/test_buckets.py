"""The bucket stores on their own (SQLite and Redis, same behaviour): refill, all-or-nothing,
settlement, listing, reset, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helicone_lite.options._values import parse_policies
from helicone_lite.ratelimit import Bucket, Buckets, LocalBuckets
from helicone_lite.ratelimit._bucket import decide, decide_one, refill, reset_seconds, settle
from helicone_lite.ratelimit._redis import RedisBuckets

T0 = 1_750_000_000.0


def bucket(text: str, amount: float = 1.0, segment: tuple[str, str] = ("", "")) -> Bucket:
    [policy] = parse_policies(text)
    return Bucket.of(policy, segment, policy.normalised(), amount)


@pytest.fixture
def buckets(store: str | None, tmp_path: Path) -> Iterator[Buckets]:
    b: Buckets = RedisBuckets(store) if store else LocalBuckets(tmp_path / "ratelimit.slots")
    yield b
    b.close()


def test_starts_full_and_refills_continuously(buckets: Buckets) -> None:
    b = bucket("10;w=100")  # 0.1 token per second
    for i in range(10):
        decision = buckets.take([b], T0)
        assert decision.admitted and decision.tokens == (9 - i,)
    refused = buckets.take([b], T0)
    assert not refused.admitted and refused.retry_after == pytest.approx(10)
    assert not buckets.take([b], T0 + 9.9).admitted
    assert buckets.take([b], T0 + 10).admitted  # exactly one token back after 10 s
    assert not buckets.take([b], T0 + 10).admitted
    later = buckets.take([b], T0 + 10 + 1000)  # never above capacity
    assert later.admitted and later.tokens == (9,)


def test_several_buckets_all_or_nothing(buckets: Buckets) -> None:
    minute, hour = bucket("2;w=60"), bucket("3;w=3600")
    assert buckets.take([minute, hour], T0).tokens == (1, 2)
    assert buckets.take([minute, hour], T0).tokens == (0, 1)
    refused = buckets.take([minute, hour], T0)
    assert not refused.admitted and refused.tokens == (0, 1)  # the hour bucket was not charged
    assert refused.retry_after == pytest.approx(30)
    assert buckets.take([minute, hour], T0 + 30).tokens == pytest.approx((0, 0.025))
    refused = buckets.take([minute, hour], T0 + 60)
    assert not refused.admitted  # the minute refilled, but the hour has no whole token left
    assert refused.tokens == pytest.approx((1, 0.05))
    assert refused.retry_after == pytest.approx(0.95 * 1200)


def test_segments_and_units_are_separate_buckets(buckets: Buckets) -> None:
    alice = bucket("1;w=60;s=user", segment=("user", "alice"))
    bob = bucket("1;w=60;s=user", segment=("user", "bob"))
    tokens = bucket("1;w=60;u=tokens;s=user", segment=("user", "alice"))
    assert buckets.take([alice], T0).admitted
    assert not buckets.take([alice], T0).admitted
    assert buckets.take([bob], T0).admitted
    assert buckets.take([tokens], T0).admitted


def test_reservation_settles_and_releases(buckets: Buckets) -> None:
    b = bucket("100;w=3600;u=cents", amount=30)
    assert buckets.take([b], T0).tokens == (70,)
    assert buckets.adjust([(b, 12 - 30)], T0) == (88,)  # cost 12, not 30
    assert buckets.take([b], T0).tokens == (58,)
    assert buckets.adjust([(b, -30)], T0) == (88,)  # failed call: released
    assert buckets.adjust([(b, 500)], T0) == (-412,)  # cost more than reserved: below zero
    refused = buckets.take([b], T0)
    assert not refused.admitted
    assert refused.retry_after == pytest.approx((30 + 412) / (100 / 3600))
    assert buckets.adjust([(b, -10_000)], T0) == (100,)  # never above capacity


def test_a_reservation_above_the_quota_waits_for_a_full_bucket(buckets: Buckets) -> None:
    big = bucket("10;w=100;u=tokens", amount=25)
    assert buckets.take([big], T0).tokens == (-15,)
    assert not buckets.take([big], T0 + 249).admitted
    assert buckets.take([big], T0 + 250).admitted


def test_states_list_live_buckets_and_reset_refills(buckets: Buckets) -> None:
    a = bucket("10;w=100;s=user", segment=("user", "alice"))
    b = bucket("10;w=100;s=user", segment=("user", "bob"))
    g = bucket("5;w=10")
    for x in (a, a, b, g):
        buckets.take([x], T0)
    listed = {(s.policy, s.segment): s.describe(T0 + 1) for s in buckets.states(T0 + 1)}
    assert set(listed) == {
        ("10;w=100;s=user", "user=alice"),
        ("10;w=100;s=user", "user=bob"),
        ("5;w=10", "global"),
    }
    alice = listed[("10;w=100;s=user", "user=alice")]
    assert alice["remaining"] == 8 and alice["reset"] == 19 and alice["limit"] == 10
    assert alice["tokens"] == pytest.approx(8.1)
    # full buckets are not live: the global one after 2 s, bob's after 10 s
    assert [s.segment for s in buckets.states(T0 + 11)] == ["user=alice"]
    assert buckets.reset("10;w=100;s=user", "user=alice") == 1
    assert buckets.take([a], T0).tokens == (9,)
    assert buckets.reset() >= 2
    assert buckets.states(T0) == []


def test_clock_skew_never_refills_backwards(buckets: Buckets) -> None:
    b = bucket("10;w=10")
    buckets.take([b], T0 + 5)
    assert buckets.take([b], T0).tokens == (8,)  # an earlier clock: no negative refill
    assert buckets.take([b], T0 + 6).tokens == pytest.approx((8,))  # refill from T0+5


def test_pure_arithmetic() -> None:
    assert refill(0, T0, T0 + 30, 10, 0.1) == 3
    assert refill(5, T0, T0 - 30, 10, 0.1) == 5
    assert reset_seconds(10, 10, 0.1) == 0
    assert reset_seconds(9.95, 10, 0.1) == 1
    assert reset_seconds(-5, 10, 1 / 6) == 90
    b = bucket("3;w=3")
    assert decide([b], [0.9999999999]).admitted  # float dust never refuses an exact fit
    assert not decide([b], [0.999]).admitted


def test_decide_one_is_decide_of_one_bucket_bit_for_bit() -> None:
    """The one-bucket fast path answers what ``decide`` does: admitted, the level after and
    the retry wait equal as floats (exact fits, float dust, reservations above the quota)."""
    amounts = [0.0, 1.0, 2.9, 3.0, 3.0000000001, 7.5, 1e9]
    levels = [-4.2, 0.0, 0.999, 0.9999999999, 1.0, 2.9 - 1e-10, 3.0, 2.5, 1 / 3]
    answers = set()
    for amount in amounts:
        for quota in ("3;w=3", "5;w=13;u=cents", "0.5;w=7;u=cents"):
            b = bucket(quota, amount)
            for level in levels:
                one, general = decide_one(b, level), decide([b], [level])
                assert one == general
                assert [x.hex() for x in (*one.tokens, one.retry_after)] == [
                    x.hex() for x in (*general.tokens, general.retry_after)
                ]
                answers.add(one.admitted)
    assert answers == {True, False}


def test_local_store_survives_a_second_instance(tmp_path: Path) -> None:
    first = LocalBuckets(tmp_path / "ratelimit.slots")
    b = bucket("2;w=60")
    first.take([b], T0)
    second = LocalBuckets(tmp_path / "ratelimit.slots")
    assert second.take([b], T0).tokens == (0,)
    assert not first.take([b], T0).admitted
    first.close()
    second.close()


def test_levels_are_the_bucket_arithmetic_one_bucket_or_several(tmp_path: Path) -> None:
    """The stored levels are ``_bucket``'s floats (the same operations in the same order as
    the SQLite store and the Redis script): a reference model run beside the store agrees
    bit for bit, whether the bucket is decided alone or with another one."""
    one = LocalBuckets(tmp_path / "one.slots")
    several = LocalBuckets(tmp_path / "several.slots")
    other = bucket("1000000;w=7")  # never short
    model: tuple[float, float] | None = None  # (tokens, updated) of the bucket, as _bucket says

    def level(b: Bucket, now: float) -> float:
        return b.capacity if model is None else refill(*model, now, b.capacity, b.rate)

    steps = [(0.0, 0.7, -0.3), (0.013, 2.9, 0.41), (5.5, 0.37, 1.9), (4.0, 3.3, -3.3)]
    steps += [(7.77 + i / 3, 1.1 + i / 7, (-1) ** i / 9) for i in range(40)]
    outcomes = set()
    for dt, amount, delta in steps:
        b, now = bucket("5;w=13;u=cents", amount), T0 + dt
        expected = decide([b], [level(b, now)])
        solo, pair = one.take([b], now), several.take([b, other], now)
        assert solo == expected
        assert (pair.admitted, pair.tokens[:1], pair.retry_after) == (
            expected.admitted,
            expected.tokens,
            expected.retry_after,
        )
        if expected.admitted:
            at = now if model is None else max(now, model[1])
            model = (expected.tokens[0], at)
            settled = settle(level(b, now), b.capacity, delta)
            assert one.adjust([(b, delta)], now) == (settled,)
            assert several.adjust([(b, delta), (other, 0.0)], now)[:1] == (settled,)
            model = (settled, max(now, model[1]))
        outcomes.add(expected.admitted)
        for store in (one, several):
            [state] = [s for s in store.states(0.0) if s.key == b.key]
            assert (state.tokens, state.updated) == model
    assert outcomes == {True, False}
    for store in (one, several):
        store.close()
