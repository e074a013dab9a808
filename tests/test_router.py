"""The router (DESIGN §4 steps 1–5) on its own: where a call to a number goes, with a
routing table in memory, a network that only records, and no engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from fleet.core.calls.call import Call, CallPorts
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.calls.legs import Leg
from fleet.core.calls.phases import RingLine, RingList
from fleet.core.calls.ports import LegRequest, Limits, TimerHandle
from fleet.core.calls.router import Router
from fleet.core.calls.selector import Selector
from fleet.core.model import CallGroup
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.restrictions import Restrictions
from fleet.core.roaming import AT_HOME, LineLocation
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind
from tests.memory import World, memory_world

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Timer:
    def cancel(self) -> None:
        pass


@dataclass
class Recorded:
    """The network and timers of a call that goes nowhere: what was asked is recorded."""

    rung: list[LegRequest] = field(default_factory=list)
    timers: list[float] = field(default_factory=list)

    def originate(self, request: LegRequest) -> None:
        self.rung.append(request)

    def cancel(self, leg_id: str) -> None:
        pass

    def bridge(self, a_leg: str, b_leg: str) -> None:
        pass

    def release(
        self, leg_id: str, cause: ReleaseCause, *, announcement: Announcement | None = None
    ) -> None:
        pass

    def play(self, leg_id: str, announcement: Announcement) -> None:
        pass

    def conference(self, conference_id: str, leg_ids: list[str]) -> None:
        pass

    def location(self, number: E164) -> LineLocation:
        return AT_HOME  # every handset at home

    def start(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        self.timers.append(delay)
        return Timer()

    def now(self) -> datetime:
        return T0


@dataclass
class Groups:
    hunted: list[CallGroup] = field(default_factory=list)

    def hunt(self, call: Call, group: CallGroup) -> None:
        self.hunted.append(group)

    def call_ended(self, call: Call) -> None:
        pass

    def settle(self, freed: object) -> None:
        pass


@dataclass
class Host:
    router: Router | None = None
    ended_calls: list[Call] = field(default_factory=list)
    ids: int = 0

    def new_id(self) -> str:
        self.ids += 1
        return f"l{self.ids}"

    def leg_added(self, leg: Leg, call: Call) -> None:
        pass

    def guarded(self, call: Call, action: Callable[[], None]) -> None:
        action()

    def route(self, call: Call, number: E164) -> None:
        assert self.router is not None
        self.router.deliver(call, number)

    def ended(self, call: Call) -> None:
        self.ended_calls.append(call)


@dataclass
class Bench:
    world: World
    router: Router
    groups: Groups
    network: Recorded
    host: Host

    def call(self) -> Call:
        ports = CallPorts(
            network=self.network,
            timers=self.network,
            clock=self.network,
            limits=Limits(),
            log=lambda event, **fields: None,
            selector=Selector(directory=self.world.fleets.table),
            restrictions=Restrictions(policy=NumberPolicy(), numbers=self.world.fleets.table),
        )
        return Call(
            host=self.host,
            ports=ports,
            call_id="c1",
            caller=E164("+33699000001"),
            called=None,
            a_leg=Leg(id="a1", number=E164("+33699000001")),
            fleet_id=self.world.fleet.id,
        )

    def deliver(self, national: str) -> Call:
        call = self.call()
        self.router.deliver(call, self.world.fleets.number(national))
        return call


@pytest.fixture
def bench() -> Bench:
    world = memory_world()
    groups, network, host = Groups(), Recorded(), Host()
    router = Router(directory=world.fleets.table, groups=groups)
    host.router = router
    return Bench(world=world, router=router, groups=groups, network=network, host=host)


def kinds(call: Call) -> list[CallEventKind]:
    return [e.kind for e in call.record.build().events]


def test_a_line_without_the_pabx_option_rings_plainly(bench: Bench) -> None:
    fleets, plain = bench.world.fleets, bench.world.plain
    fleets.forward(plain.id, ForwardingKind.UNCONDITIONAL, "0145678910")
    call = bench.deliver("0611000050")
    assert isinstance(call.phase, RingLine) and call.phase.services is None
    assert [r.number for r in bench.network.rung] == [plain.msisdn]


def test_unconditional_forwarding_sends_the_call_on_before_anything_rings(bench: Bench) -> None:
    line = bench.world.line(0)
    bench.world.fleets.forward(line.id, ForwardingKind.UNCONDITIONAL, "0145678910")
    call = bench.deliver("0611000001")
    assert kinds(call) == [CallEventKind.OFFERED, CallEventKind.FORWARDED]
    assert [r.number.national_digits() for r in bench.network.rung] == ["0145678910"]
    assert bench.network.rung[0].trunk == "trunk-siege"
    assert call.hops == 1


def test_an_active_incoming_list_is_the_whole_ring_plan(bench: Bench) -> None:
    line = bench.world.line(1)
    bench.world.fleets.incoming_list(line.id, ["0611000003", "0611000006"])
    call = bench.deliver("0611000002")
    assert isinstance(call.phase, RingList)
    assert [r.number.national_digits() for r in bench.network.rung] == [
        "0611000003",
        "0611000006",
    ]


def test_a_switched_off_incoming_list_lets_the_line_ring(bench: Bench) -> None:
    line = bench.world.line(1)
    bench.world.fleets.incoming_list(line.id, ["0611000003"], active=False)
    call = bench.deliver("0611000002")
    assert isinstance(call.phase, RingLine) and call.phase.services is not None
    assert [r.number for r in bench.network.rung] == [line.msisdn]


def test_a_line_rings_with_its_no_reply_timer_armed_on_alerting_only(bench: Bench) -> None:
    bench.world.fleets.forward(
        bench.world.line(3).id, ForwardingKind.NO_REPLY, "0611000007", no_reply_timer=25
    )
    bench.deliver("0611000004")
    assert bench.network.timers == [Limits().setup_timeout]  # the no-reply timer waits


def test_a_group_number_goes_to_call_groups(bench: Bench) -> None:
    fleets = bench.world.fleets
    group = fleets.add_group(bench.world.fleet.id, number="0609182236", name="Com")
    bench.deliver("0609182236")
    assert bench.groups.hunted == [group]
    assert bench.network.rung == []


def test_a_fixed_number_of_the_fleet_rings_over_its_trunk(bench: Bench) -> None:
    bench.deliver("0145678910")
    assert bench.network.rung[0].trunk == "trunk-siege"


def test_a_number_outside_the_fleets_rings_plainly(bench: Bench) -> None:
    call = bench.deliver("0699000009")
    assert isinstance(call.phase, RingLine) and call.phase.services is None
    assert bench.network.rung[0].trunk is None


def test_a_line_met_twice_is_a_forwarding_loop(bench: Bench) -> None:
    fleets, world = bench.world.fleets, bench.world
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, "0611000001")
    call = bench.deliver("0611000001")
    record = call.record.build()
    assert (record.outcome, record.cause) == (CallOutcome.LOOP, "forwarding_loop")
    assert bench.host.ended_calls == [call]
    assert bench.network.rung == []
