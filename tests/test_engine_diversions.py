"""What each leg carries from the call (issue 12): the diversion history after forwarding
(History-Info and Diversion on SIP) and the caller's presentation when its network withholds
it (Privacy: id on SIP), with the simulated network in virtual time."""

from __future__ import annotations

import pytest

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.calls.ports import LegRequest
from fleet.core.dialling import Presentation
from fleet.core.values import ForwardingKind
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]


@pytest.fixture
def requests(ex: Exchange, monkeypatch: pytest.MonkeyPatch) -> list[LegRequest]:
    """Every leg the engine asks the simulated network for, in order."""
    seen: list[LegRequest] = []
    originate = ex.network.originate

    def spy(request: LegRequest) -> None:
        seen.append(request)
        originate(request)

    monkeypatch.setattr(ex.network, "originate", spy)
    return seen


def by_number(requests: list[LegRequest]) -> dict[str, tuple[Diversion, ...]]:
    return {r.number.value: r.diversions for r in requests}


def test_a_busy_forwarded_leg_carries_one_busy_diversion_by_the_forwarding_line(
    ex: Exchange, fleets: MemoryFleets, world: World, requests: list[LegRequest]
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, "0145678910")
    ex.behave("0611000002", already_busy=True)
    ex.behave("0145678910", answer_after=1)
    ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    assert by_number(requests) == {
        "+33611000002": (),
        "+33145678910": (Diversion(DiversionReason.BUSY, n("0611000002"), n("0145678910")),),
    }
    ex.hang_up("0145678910")


def test_two_hops_are_carried_in_order_on_the_last_leg(
    ex: Exchange, fleets: MemoryFleets, world: World, requests: list[LegRequest]
) -> None:
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, "0611000003", no_reply_timer=5)
    ex.behave("0611000003", answer_after=1)
    ex.dial(OUTSIDE, "0611000001")
    ex.advance(8)
    assert ex.in_call("0611000003")
    assert [r.number.value for r in requests] == ["+33611000002", "+33611000003"]
    assert requests[-1].diversions == (
        Diversion(DiversionReason.UNCONDITIONAL, n("0611000001"), n("0611000002")),
        Diversion(DiversionReason.NO_REPLY, n("0611000002"), n("0611000003")),
    )
    assert requests[0].diversions == requests[-1].diversions[:1]
    ex.hang_up(OUTSIDE)


def test_a_leg_without_forwarding_carries_no_diversion(
    ex: Exchange, requests: list[LegRequest]
) -> None:
    ex.behave("0611000002", answer_after=1)
    ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert [r.diversions for r in requests] == [()]
    ex.hang_up(OUTSIDE)


def test_each_forwarding_kind_has_its_reason_and_a_group_rule_its_own() -> None:
    assert [DiversionReason.of(kind) for kind in ForwardingKind] == [
        DiversionReason.UNCONDITIONAL,
        DiversionReason.BUSY,
        DiversionReason.NO_REPLY,
        DiversionReason.NOT_REACHABLE,
    ]
    assert DiversionReason.of(None) is DiversionReason.GROUP_NO_ANSWER


def test_a_caller_the_network_withholds_stays_hidden_whatever_it_dialled(
    ex: Exchange, requests: list[LegRequest]
) -> None:
    ex.behave("0611000002", answer_after=1)
    ex.network.dial(n(OUTSIDE), "*31#0611000002", restricted=True)
    ex.advance(2)
    assert [r.presentation for r in requests] == [Presentation.RESTRICTED]
    ex.hang_up("0611000002")
