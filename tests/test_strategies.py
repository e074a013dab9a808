"""The distribution strategies of call groups (DESIGN §5): pure functions from the
available members to the order they ring in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from callgroups.strategies import Candidate, plan
from fleet.core.values import DistributionMode

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POSITIONS = {10: 1, 20: 2, 30: 3, 40: 4}


def members(*line_ids: int, idle: dict[int, datetime] | None = None) -> list[Candidate]:
    idle = idle or {}
    return [Candidate(i, POSITIONS[i], idle.get(i)) for i in line_ids]


def order(
    mode: DistributionMode, candidates: list[Candidate], **kw: object
) -> list[tuple[int, ...]]:
    return plan(
        mode,
        candidates,
        last_taker=kw.get("last_taker"),  # type: ignore[arg-type]
        positions=POSITIONS,
        rng=kw.get("rng") or random.Random(0),  # type: ignore[arg-type]
    )


def test_linear_rings_members_one_by_one_from_the_top_of_the_list() -> None:
    assert order(DistributionMode.LINEAR, members(30, 10, 20)) == [(10,), (20,), (30,)]


def test_linear_ignores_who_took_the_last_call() -> None:
    assert order(DistributionMode.LINEAR, members(10, 20), last_taker=10) == [(10,), (20,)]


def test_cyclic_starts_after_the_member_who_took_the_last_call() -> None:
    assert order(DistributionMode.CYCLIC, members(10, 20, 30, 40), last_taker=20) == [
        (30,),
        (40,),
        (10,),
        (20,),
    ]


def test_cyclic_starts_after_the_last_taker_even_when_he_is_away_now() -> None:
    assert order(DistributionMode.CYCLIC, members(10, 30, 40), last_taker=20) == [
        (30,),
        (40,),
        (10,),
    ]


def test_cyclic_without_a_last_taker_starts_from_the_top() -> None:
    assert order(DistributionMode.CYCLIC, members(20, 10)) == [(10,), (20,)]


def test_simultaneous_rings_every_available_member_in_one_step() -> None:
    assert order(DistributionMode.SIMULTANEOUS, members(30, 10)) == [(10, 30)]


def test_least_active_offers_never_called_members_first_then_the_longest_idle() -> None:
    idle = {10: T0 + timedelta(minutes=5), 20: T0, 40: T0 + timedelta(minutes=1)}
    assert order(DistributionMode.LEAST_ACTIVE, members(10, 20, 30, 40, idle=idle)) == [
        (30,),
        (20,),
        (40,),
        (10,),
    ]


def test_random_offers_each_member_once_in_an_order_fixed_by_the_seed() -> None:
    first = order(DistributionMode.RANDOM, members(10, 20, 30, 40), rng=random.Random(7))
    again = order(DistributionMode.RANDOM, members(10, 20, 30, 40), rng=random.Random(7))
    assert first == again
    assert sorted(first) == [(10,), (20,), (30,), (40,)]


def test_random_orders_differ_between_seeds() -> None:
    orders = {
        tuple(order(DistributionMode.RANDOM, members(10, 20, 30, 40), rng=random.Random(seed)))
        for seed in range(20)
    }
    assert len(orders) > 1


def test_nobody_available_means_no_step_in_any_mode() -> None:
    for mode in DistributionMode:
        assert order(mode, []) == []
