"""The presented number of a line's outgoing calls in the engine (issue 16 item 4), in
virtual time and without a network protocol: the line's choice (its own number, the
company's main number, one of its groups) or a per-call prefix (``*81#``, ``*82#``,
``*83*G#``) sets the identity of the onward leg for callees outside the fleet; colleagues
see the line; CLIR hides whatever is presented; a line whose choice the manager locked
ignores a prefix; the record notes it."""

from __future__ import annotations

import pytest

from callgroups.hunt import GroupHunter
from fleet.core.calls.engine import Engine, counter_ids
from fleet.core.calls.events import LegAnswered, LegReleased
from fleet.core.calls.presence import Presence
from fleet.core.dialling import Presentation
from fleet.core.model import CallRecord
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.presented import (
    PresentedKind,
    PresentedNumber,
    PresentedPrefix,
    split_prefix,
)
from fleet.core.values import CallEventKind
from simulators.clock import VirtualTime
from simulators.handsets import Behaviour
from tests.exchange import make_exchange
from tests.memory import memory_world
from tests.test_engine_originating import LINE, Bench, Records, Wire

OUTSIDE = "0699887766"
MAIN = "+33145678910"  # the fleet's fixed number (the "accueil")
GROUP = "+33611000077"


@pytest.fixture
def bench() -> Bench:
    world = memory_world()
    fleets = world.fleets
    fleets.add_group(
        world.fleet.id, number="0611000077", name="Commercial", short_number="3077",
        members=[world.lines[0].id, world.lines[1].id],
    )  # fmt: skip
    fleets.add_group(
        world.fleet.id, number="0611000078", name="Atelier", short_number="3078",
        members=[world.lines[2].id],
    )  # fmt: skip
    wire, time, records, presence = Wire(), VirtualTime(), Records(), Presence()
    engine = Engine(
        network=wire,
        timers=time,
        clock=time,
        directory=fleets.table,
        recorder=records,
        policy=NumberPolicy(),
        groups=GroupHunter(
            clock=time, timers=time, directory=fleets.table, presence=presence, locations=wire
        ),
        presence=presence,
        new_id=counter_ids(),
    )
    return Bench(world, engine, wire, time, records)


def group_id(bench: Bench, name: str) -> int:
    table = bench.world.fleets.table
    return next(g.id for g in table.all_groups() if g.name == name)


def choose(bench: Bench, choice: PresentedNumber, line: int = 0) -> None:
    bench.world.fleets.update_line(bench.world.lines[line].id, presented=choice)


def shown(bench: Bench, dialled: str) -> tuple[E164 | None, Presentation, CallRecord]:
    bench.call(dialled)
    (leg,) = bench.wire.legs
    bench.engine.handle(LegAnswered(leg.leg_id))
    bench.engine.handle(LegReleased("a"))
    (record,) = bench.records.items
    return leg.identity, leg.presentation, record


def offered(record: CallRecord) -> dict[str, object]:
    (event,) = [e for e in record.events if e.kind is CallEventKind.OFFERED]
    return event.detail or {}


def test_by_default_a_call_outside_presents_the_line(bench: Bench) -> None:
    identity, presentation, record = shown(bench, OUTSIDE)
    assert (identity, presentation) == (LINE, Presentation.ALLOWED)
    assert "presented" not in offered(record)


def test_a_line_presenting_the_main_number_shows_it_outside(bench: Bench) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    choose(bench, PresentedNumber(PresentedKind.MAIN))
    identity, _, record = shown(bench, OUTSIDE)
    assert identity == E164(MAIN)
    assert offered(record) == {"presented": MAIN, "presented_as": "main"}
    assert bench.wire.legs[0].caller == LINE  # the caller stays the line


def test_a_line_presenting_one_of_its_groups_shows_the_groups_number(bench: Bench) -> None:
    choose(bench, PresentedNumber.of(PresentedKind.GROUP, group_id(bench, "Commercial")))
    identity, _, record = shown(bench, OUTSIDE)
    assert identity == E164(GROUP)
    assert offered(record)["presented_as"] == "group"


def test_a_colleague_called_sees_the_line_whatever_it_presents_outside(bench: Bench) -> None:
    choose(bench, PresentedNumber.of(PresentedKind.GROUP, group_id(bench, "Commercial")))
    bench.call("2003")
    (leg,) = bench.wire.legs
    assert leg.identity == LINE and leg.presented is None


def test_clir_hides_whatever_is_presented(bench: Bench) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    choose(bench, PresentedNumber(PresentedKind.MAIN))
    identity, presentation, record = shown(bench, "#31#" + OUTSIDE)
    assert (identity, presentation) == (E164(MAIN), Presentation.RESTRICTED)
    assert offered(record)["presentation"] == "restricted"


@pytest.mark.parametrize(
    ("dialled", "expected", "kind"),
    [
        ("*82#" + OUTSIDE, MAIN, "main"),
        ("*83*3077#" + OUTSIDE, GROUP, "group"),  # the group by its short number
        ("*83*0611000077#" + OUTSIDE, GROUP, "group"),  # ... or by its number
        ("*81#" + OUTSIDE, LINE.value, "line"),
    ],
)
def test_a_prefix_chooses_for_one_call(
    bench: Bench, dialled: str, expected: str, kind: str
) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    choose(bench, PresentedNumber.of(PresentedKind.GROUP, group_id(bench, "Commercial")))
    if kind == "group":
        choose(bench, PresentedNumber(PresentedKind.MAIN))
    identity, _, record = shown(bench, dialled)
    assert identity == E164(expected)
    assert offered(record)["presented_per_call"] is True
    assert bench.wire.legs[0].number == E164("+33699887766")


@pytest.mark.parametrize(
    ("choice", "dialled", "expected"),
    [
        (PresentedKind.MAIN, "*81#" + OUTSIDE, MAIN),
        (PresentedKind.LINE, "*82#" + OUTSIDE, LINE.value),
        (PresentedKind.LINE, "*83*3077#" + OUTSIDE, LINE.value),
    ],
)
def test_a_line_whose_choice_the_manager_locked_ignores_a_prefix(
    bench: Bench, choice: PresentedKind, dialled: str, expected: str
) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    choose(bench, PresentedNumber(choice))
    bench.world.fleets.update_line(bench.world.lines[0].id, presented_user_choice=False)
    identity, _, record = shown(bench, dialled)
    assert identity == E164(expected)
    detail = offered(record)
    assert detail["presented_prefix_locked"] is True and "presented_per_call" not in detail
    assert bench.wire.legs[0].number == E164("+33699887766")


def test_a_prefix_and_the_clir_prefix_combine(bench: Bench) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    identity, presentation, _ = shown(bench, "*82##31#" + OUTSIDE)
    assert (identity, presentation) == (E164(MAIN), Presentation.RESTRICTED)


@pytest.mark.parametrize(
    ("dialled", "fallback"),
    [
        ("*82#" + OUTSIDE, "no_main_number"),  # the fleet has none
        ("*83*3078#" + OUTSIDE, "not_a_member"),  # Atelier: the line is no member
        ("*83*3999#" + OUTSIDE, "unknown_group"),
    ],
)
def test_a_choice_that_cannot_be_honoured_presents_the_line_and_says_why(
    bench: Bench, dialled: str, fallback: str
) -> None:
    identity, _, record = shown(bench, dialled)
    assert identity == LINE
    assert offered(record)["presented_fallback"] == fallback


def test_a_line_no_longer_in_the_group_it_presents_falls_back_to_itself(bench: Bench) -> None:
    choose(bench, PresentedNumber.of(PresentedKind.GROUP, group_id(bench, "Atelier")))
    identity, _, record = shown(bench, OUTSIDE)
    assert identity == LINE
    assert offered(record)["presented_fallback"] == "not_a_member"


def test_the_simulated_networks_path_presents_it_too(bench: Bench) -> None:
    bench.world.fleets.set_main_number(bench.world.fleet.id, MAIN)
    choose(bench, PresentedNumber(PresentedKind.MAIN))
    bench.engine.incoming_call(leg_id="a", caller=LINE, dialled=OUTSIDE)
    (leg,) = bench.wire.legs
    assert leg.identity == E164(MAIN) and leg.caller == LINE


@pytest.mark.parametrize(
    ("raw", "prefix", "rest"),
    [
        ("*82#0612345678", PresentedPrefix(PresentedKind.MAIN), "0612345678"),
        ("*81#2002", PresentedPrefix(PresentedKind.LINE), "2002"),
        ("*83*300#0612345678", PresentedPrefix(PresentedKind.GROUP, "300"), "0612345678"),
        ("*83#0612345678", None, "*83#0612345678"),  # a group prefix names its group
        ("*82*1#0612345678", None, "*82*1#0612345678"),
        ("#31#0612345678", None, "#31#0612345678"),
        ("0612345678", None, "0612345678"),
        ("*21*0612345678#", None, "*21*0612345678#"),
    ],
)
def test_the_prefix_is_read_before_the_number(
    raw: str, prefix: PresentedPrefix | None, rest: str
) -> None:
    assert split_prefix(raw) == (prefix, rest)


def test_a_group_choice_needs_its_group_and_only_it() -> None:
    with pytest.raises(ValueError):
        PresentedNumber(PresentedKind.GROUP)
    with pytest.raises(ValueError):
        PresentedNumber(PresentedKind.MAIN, 3)


def test_the_simulated_networks_outside_handset_shows_the_presented_number() -> None:
    world = memory_world()
    world.fleets.set_main_number(world.fleet.id, MAIN)
    world.fleets.update_line(world.lines[0].id, presented=PresentedNumber(PresentedKind.MAIN))
    exchange = make_exchange(world.fleets.table, world)
    outside = exchange.network.add(
        E164("+33699887766"), "Client", behaviour=Behaviour(answer_after=None)
    )
    exchange.dial("0611000001", OUTSIDE)
    exchange.advance(1)
    assert outside.screen == "01 45 67 89 10"
    exchange.settle()
    exchange.assert_clean()


def test_a_colleague_handset_shows_the_line_not_the_main_number() -> None:
    world = memory_world()
    world.fleets.set_main_number(world.fleet.id, MAIN)
    world.fleets.update_line(world.lines[0].id, presented=PresentedNumber(PresentedKind.MAIN))
    exchange = make_exchange(world.fleets.table, world)
    exchange.dial("0611000001", "2003")
    exchange.advance(1)
    assert exchange.network.handset(E164("+33611000003")).screen == "06 11 00 00 01"
    exchange.settle()
    exchange.assert_clean()
