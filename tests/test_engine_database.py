"""The engine against the real edges: the routing cache loaded from the database and
kept current by the services' changes, and call records written to the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fleet.core.linesettings import CALL_WAITING
from fleet.core.values import Actor, CallEventKind, CallOutcome, ForwardingKind
from fleet.exchange.records import CallRecords
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from simulators.handsets import Behaviour
from tests.exchange import Exchange, make_exchange, n
from tests.world import World, build_world

OUTSIDE = "0699000001"


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


@pytest.fixture
async def directory(services: Services, world: World) -> AsyncIterator[CachedDirectory]:
    directory = await CachedDirectory.open(services=services)
    yield directory
    directory.close()


@pytest.fixture
async def written(services: Services) -> AsyncIterator[CallRecords]:
    errors: list[str] = []
    records = CallRecords(
        writer=RecordWriter(calls=services.calls, on_error=lambda r, e: errors.append(repr(e))),
        keep=None,
    )
    yield records
    await records.flush()
    assert errors == []


@pytest.fixture
def ex(directory: CachedDirectory, world: World, written: CallRecords) -> Exchange:
    exchange = make_exchange(directory, world, recorder=written)
    exchange.network.add(n(OUTSIDE), "Client", behaviour=Behaviour(answer_after=None))
    return exchange


async def test_call_records_are_written_to_the_database(
    ex: Exchange, services: Services, written: CallRecords
) -> None:
    ex.behave("0611000002", answer_after=2)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(10)
    ex.hang_up(OUTSIDE)
    await written.flush()
    stored = await services.calls.get(call)
    assert stored == ex.record(call)
    assert [e.kind for e in stored.events] == [
        CallEventKind.OFFERED,
        CallEventKind.ANSWERED,
        CallEventKind.RELEASED,
    ]
    ex.settle()
    ex.assert_clean()


async def test_the_next_call_sees_a_forwarding_changed_through_the_services(
    ex: Exchange, services: Services, actor: Actor, world: World
) -> None:
    first = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    await services.forwarding.set(
        actor, world.line(3).id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    second = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    assert [e.kind for e in ex.record(first).events if e.kind is CallEventKind.FORWARDED] == []
    forwarded = [e for e in ex.record(second).events if e.kind is CallEventKind.FORWARDED]
    assert [(e.forwarding_kind, e.to_number) for e in forwarded] == [
        (ForwardingKind.UNCONDITIONAL, "+33145678910")
    ]
    await services.forwarding.deactivate(actor, world.line(3).id, ForwardingKind.UNCONDITIONAL)
    third = ex.dial(OUTSIDE, "0611000004")
    ex.hang_up(OUTSIDE)
    assert not any(e.kind is CallEventKind.FORWARDED for e in ex.record(third).events)
    ex.settle()
    ex.assert_clean()


async def test_a_changed_line_is_applied_alone_and_keeps_its_short_number_routing(
    ex: Exchange, directory: CachedDirectory, services: Services, actor: Actor, world: World
) -> None:
    fleet_loads = directory.fleet_loads
    await services.lines.update(
        actor, world.line(1).id, short_number="2900", settings={CALL_WAITING: False}
    )
    assert directory.fleet_loads == fleet_loads  # that line changed, not the whole fleet read
    ex.behave("0611000002", answer_after=1)
    call = ex.dial("0611000001", "2900")
    ex.advance(3)
    assert ex.in_call("0611000002")
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED
    assert ex.record(ex.dial("0611000001", "2002")).outcome is CallOutcome.REJECTED
    created = await services.lines.create(
        actor, world.fleet.id, msisdn="0611000070", short_number="2070", employee_name="Nouveau"
    )
    ex.network.add(created.msisdn, "Nouveau", behaviour=Behaviour(answer_after=None))
    new = ex.dial("0611000001", "2070")
    ex.advance(2)
    assert ex.ringing("0611000070")
    ex.hang_up("0611000001")
    assert ex.record(new).outcome is CallOutcome.ABANDONED
    ex.settle()
    ex.assert_clean()
