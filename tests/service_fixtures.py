"""The configuration services' tests' common fixtures (routing criteria, company contacts,
schedules, presented numbers, trunks): a fleet, a line in it and a group of that line, the
change events the hub announces, and ``fails``, which awaits a service call and returns the
domain error it must raise.

A test module takes the fixtures with ``from tests.service_fixtures import fleet, heard`` and
``__all__`` naming them (as ``tests.engine_fixtures``'s are taken)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

import pytest

from fleet.core import model
from fleet.core.changes import ChangeEvent
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor
from fleet.services.container import Services


@pytest.fixture
async def fleet(services: Services, actor: Actor) -> model.Fleet:
    return await services.fleets.create(actor, name="Taxis Express", short_number_length=4)


@pytest.fixture
async def line(services: Services, actor: Actor, fleet: model.Fleet) -> model.Line:
    return await services.lines.create(
        actor, fleet.id, msisdn="0611000001", employee_name="Alice Martin"
    )


@pytest.fixture
async def reception(services: Services, actor: Actor, line: model.Line) -> model.CallGroup:
    """The fleet's group "Accueil", the line its member."""
    return await services.groups.create(
        actor,
        line.fleet_id,
        number="0611000009",
        name="Accueil",
        user_code="1703",
        admin_code="2202",
        members=[line.id],
    )


@pytest.fixture
def heard(services: Services) -> list[ChangeEvent]:
    """Every change event the services announce from now on, in order."""
    events: list[ChangeEvent] = []

    async def listen(batch: Sequence[ChangeEvent]) -> None:
        events.extend(batch)

    services.changes.subscribe(listen)
    return events


async def fails(code: ErrorCode, action: Awaitable[object]) -> DomainError:
    """The domain error ``action`` raises, which must carry ``code``."""
    with pytest.raises(DomainError) as caught:
        await action
    assert caught.value.code is code, caught.value
    return caught.value
