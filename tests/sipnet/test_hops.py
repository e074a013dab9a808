"""Which named legs are the two ends of a hop between two visits of one call
(:func:`fleet.sipnet.hops.hop_ends`)."""

from __future__ import annotations

from fleet.sipnet.hops import HopSide, LegSeen, hop_ends

ARRIVES, LEAVES, NEITHER = HopSide.ARRIVES, HopSide.LEAVES, HopSide.NEITHER


def test_a_call_between_two_lines_has_its_hop_between_the_visits() -> None:
    legs = [
        LegSeen("a1", "a1", "icid", NEITHER),  # the line's handset, originating visit
        LegSeen("b1", "a1", "icid", LEAVES),
        LegSeen("a2", "a2", "icid", ARRIVES),
        LegSeen("b2", "a2", "icid", LEAVES),  # the colleague's handset, through the core
    ]
    assert hop_ends(legs) == {"b1", "a2"}


def test_a_visits_own_legs_are_no_hop_even_with_one_correlation() -> None:
    legs = [LegSeen("a1", "a1", "icid", ARRIVES), LegSeen("b1", "a1", "icid", LEAVES)]
    assert hop_ends(legs) == set()


def test_calls_with_other_correlations_or_none_are_left_alone() -> None:
    legs = [
        LegSeen("b1", "a1", "one", LEAVES),
        LegSeen("a2", "a2", "two", ARRIVES),
        LegSeen("b3", "a3", None, LEAVES),
        LegSeen("a4", "a4", None, ARRIVES),
    ]
    assert hop_ends(legs) == set()


def test_a_forwarded_call_pairs_each_visit_with_the_next() -> None:
    legs = [
        LegSeen("a1", "a1", "icid", NEITHER),
        LegSeen("b1", "a1", "icid", LEAVES),
        LegSeen("a2", "a2", "icid", ARRIVES),
        LegSeen("b2", "a2", "icid", LEAVES),
        LegSeen("a3", "a3", "icid", ARRIVES),
        LegSeen("b3", "a3", "icid", LEAVES),
    ]
    assert hop_ends(legs) == {"b1", "a2", "b2", "a3"}, "b3, the last handset's, is moved"


def test_a_hop_whose_other_end_is_not_named_is_moved() -> None:
    assert hop_ends([LegSeen("b1", "a1", "icid", LEAVES)]) == set()
