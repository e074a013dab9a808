"""The balancing decision of fleet ownership (``fleet.core.ownership``): each process owns at
most ceil(fleets / processes alive), takes free fleets lowest id first, gives up one fleet
a round past its share, and drops fleets that no longer exist."""

from __future__ import annotations

from fleet.core.ownership import EVERYTHING_MINE, Owner, OwnerMap, Ownership, Plan, plan, share

F = frozenset


def test_a_lone_process_takes_every_fleet() -> None:
    assert plan(fleets=F({1, 2, 3}), mine=F(), held_elsewhere=F(), processes=1) == Plan(
        take=(1, 2, 3)
    )


def test_the_share_is_the_ceiling_of_fleets_over_processes() -> None:
    assert [share(5, n) for n in (0, 1, 2, 3, 5, 9)] == [5, 5, 3, 2, 1, 1]


def test_a_second_process_takes_only_free_fleets_up_to_its_share() -> None:
    decided = plan(fleets=F({1, 2, 3, 4}), mine=F(), held_elsewhere=F({1, 2, 3}), processes=2)
    assert decided == Plan(take=(4,))


def test_a_process_past_its_share_gives_up_its_highest_fleet_one_a_round() -> None:
    decided = plan(fleets=F({1, 2, 3, 4}), mine=F({1, 2, 3, 4}), held_elsewhere=F(), processes=2)
    assert decided == Plan(release=(4,))


def test_a_process_at_its_share_changes_nothing() -> None:
    decided = plan(fleets=F({1, 2, 3}), mine=F({1, 2}), held_elsewhere=F({3}), processes=2)
    assert decided == Plan()


def test_the_fleets_of_a_dead_owner_are_taken_by_the_survivor() -> None:
    # the other process died: one process alive, its locks released
    decided = plan(fleets=F({1, 2}), mine=F({2}), held_elsewhere=F(), processes=1)
    assert decided == Plan(take=(1,))


def test_a_removed_fleet_is_given_up() -> None:
    decided = plan(fleets=F({1}), mine=F({1, 7}), held_elsewhere=F(), processes=1)
    assert decided == Plan(release=(7,))


def test_balancing_converges_to_one_fleet_each_for_two_processes() -> None:
    fleets = F({10, 20})
    held: dict[str, set[int]] = {"a": {10, 20}, "b": set()}
    for _ in range(4):  # rounds, each process in turn
        for me, other in (("a", "b"), ("b", "a")):
            decided = plan(
                fleets=fleets, mine=F(held[me]), held_elsewhere=F(held[other]), processes=2
            )
            held[me] = (held[me] - set(decided.release)) | set(decided.take)
    assert held == {"a": {10}, "b": {20}}


def test_the_owner_map_says_mine_elsewhere_or_nobody() -> None:
    owner = Owner(process="p2", sip_uri="sip:127.0.0.1:5071")
    seen = OwnerMap(mine=F({1}), others={2: owner})
    assert seen.of(1) == (Ownership.MINE, None)
    assert seen.of(2) == (Ownership.ELSEWHERE, owner)
    assert seen.of(3) == (Ownership.NOBODY, None)
    assert EVERYTHING_MINE.of(3) == (Ownership.MINE, None)
