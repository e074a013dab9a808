"""``SharedText``: one string object for a value seen again, within a bound."""

from __future__ import annotations

from fleet.sip.shared_text import SharedText


def _fresh(text: str) -> str:
    return "".join(list(text))  # an equal string, not the same object


def test_an_equal_value_seen_again_is_the_first_string() -> None:
    shared = SharedText()
    first = shared(_fresh("sip:handsets@127.0.0.1:5070"))
    again = _fresh("sip:handsets@127.0.0.1:5070")
    assert again is not first
    assert shared(again) is first
    assert len(shared) == 1


def test_past_its_bound_a_new_value_is_kept_as_it_came_and_known_ones_still_shared() -> None:
    shared = SharedText(limit=2)
    a, b = shared(_fresh("a-value")), shared(_fresh("b-value"))
    c = _fresh("c-value")
    assert shared(c) is c and shared(_fresh("c-value")) is not c
    assert shared(_fresh("a-value")) is a and shared(_fresh("b-value")) is b
    assert len(shared) == 2
