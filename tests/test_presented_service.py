"""The presented number as configuration (issue 16 item 4): the fleet's main number (one of
its own numbers), each line's choice (the line, the main number once there is one, a group it
is a member of), the user's own choice unless the manager locked it, the fall back to the
line when it leaves that group; journalled and on the
change hub, the routing cache following; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from fleet.core.changes import ChangeEvent, FleetChange, LineChange
from fleet.core.errors import ErrorCode
from fleet.core.linesettings import PRESENTED_USER_CHOICE
from fleet.core.numbering import E164
from fleet.core.presented import LINE_NUMBER, PresentedKind, PresentedNumber
from fleet.core.values import Actor, Channel, Language
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.service_fixtures import fails, heard
from tests.world import World, build_world

__all__ = ["heard"]

MAIN = PresentedNumber(PresentedKind.MAIN)


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


async def group(services: Services, actor: Actor, world: World, *members: int) -> int:
    created = await services.groups.create(
        actor,
        world.fleet.id,
        number="0611000077",
        name="Commercial",
        user_code="1703",
        admin_code="2202",
        members=[world.line(i).id for i in members],
    )
    return created.id


async def test_the_main_number_is_one_of_the_fleets_numbers(
    services: Services, actor: Actor, world: World, heard: list[ChangeEvent]
) -> None:
    fleet = await services.presented.set_main_number(actor, world.fleet.id, "01 45 67 89 10")
    assert fleet.main_number == world.fixed.number
    assert (await services.fleets.get(world.fleet.id)).main_number == world.fixed.number
    assert [type(e.change) for e in heard] == [FleetChange]
    line = await services.presented.set_main_number(actor, world.fleet.id, "0611000002")
    assert line.main_number == world.line(1).msisdn
    cleared = await services.presented.set_main_number(actor, world.fleet.id, None)
    assert cleared.main_number is None


@pytest.mark.parametrize("number", ["0622000001", "0699887766"])  # another fleet's, nobody's
async def test_a_number_not_of_the_fleet_cannot_be_its_main_number(
    services: Services, actor: Actor, world: World, number: str
) -> None:
    await fails(
        ErrorCode.MAIN_NUMBER_NOT_IN_FLEET,
        services.presented.set_main_number(actor, world.fleet.id, number),
    )
    assert (await services.fleets.get(world.fleet.id)).main_number is None


async def test_a_line_presents_the_main_number_once_the_fleet_has_one(
    services: Services, actor: Actor, world: World
) -> None:
    line_id = world.line(0).id
    await fails(ErrorCode.PRESENTED_NO_MAIN_NUMBER, services.presented.choose(actor, line_id, MAIN))
    await services.presented.set_main_number(actor, world.fleet.id, "01 45 67 89 10")
    line = await services.presented.choose(actor, line_id, MAIN)
    assert line.presented == MAIN
    assert (await services.lines.get(line_id)).presented == MAIN
    services_view = await services.lines.services_by_id(line_id)  # the joined read
    assert services_view.line.presented == MAIN


async def test_a_line_presents_a_group_only_while_a_member(
    services: Services, actor: Actor, world: World
) -> None:
    group_id = await group(services, actor, world, 0)
    choice = PresentedNumber.of(PresentedKind.GROUP, group_id)
    error = await fails(
        ErrorCode.PRESENTED_NOT_A_MEMBER, services.presented.choose(actor, world.line(1).id, choice)
    )
    assert error.field == "presented"
    assert (await services.lines.get(world.line(1).id)).presented == LINE_NUMBER
    line = await services.presented.choose(actor, world.line(0).id, choice)
    assert line.presented == choice
    options = await services.presented.choices(world.line(0).id)
    assert options == [
        (LINE_NUMBER, world.line(0).msisdn),
        (choice, E164("+33611000077")),
    ]


async def test_another_fleets_group_is_not_found(
    services: Services, actor: Actor, world: World
) -> None:
    other = await services.groups.create(
        actor, world.other_fleet.id, number="0622000099", name="Ailleurs",
        user_code="1703", admin_code="2202", members=[world.foreign.id],
    )  # fmt: skip
    choice = PresentedNumber.of(PresentedKind.GROUP, other.id)
    await fails(ErrorCode.NOT_FOUND, services.presented.choose(actor, world.line(0).id, choice))


async def test_a_line_leaving_the_group_it_presents_falls_back_to_itself_journalled(
    services: Services, actor: Actor, world: World, heard: list[ChangeEvent]
) -> None:
    group_id = await group(services, actor, world, 0, 1)
    choice = PresentedNumber.of(PresentedKind.GROUP, group_id)
    await services.presented.choose(actor, world.line(0).id, choice)
    await services.presented.choose(actor, world.line(1).id, choice)
    heard.clear()
    await services.groups.remove_member(actor, group_id, world.line(0).id)
    assert (await services.lines.get(world.line(0).id)).presented == LINE_NUMBER
    assert (await services.lines.get(world.line(1).id)).presented == choice  # still a member
    fallback = [e.change for e in heard if isinstance(e.change, LineChange)]
    assert [(c.line_id, c.after.presented if c.after else None) for c in fallback] == [
        (world.line(0).id, LINE_NUMBER)
    ]
    entries = await services.audit.search(
        AuditFilter(fleet_id=world.fleet.id, entity="line", entity_id=str(world.line(0).id))
    )
    latest = entries.items[0]  # newest first
    assert latest.after is not None and latest.after["presented"]["kind"] == "line"
    assert latest.before is not None and latest.before["presented"]["kind"] == "group"


async def test_a_deleted_group_leaves_its_presenters_on_their_own_number(
    services: Services, actor: Actor, world: World
) -> None:
    group_id = await group(services, actor, world, 0)
    choice = PresentedNumber.of(PresentedKind.GROUP, group_id)
    await services.presented.choose(actor, world.line(0).id, choice)
    await services.groups.delete(actor, group_id)
    assert (await services.lines.get(world.line(0).id)).presented == LINE_NUMBER


async def test_the_user_chooses_unless_the_manager_locked_the_choice(
    services: Services, actor: Actor, world: World, heard: list[ChangeEvent]
) -> None:
    line_id = world.line(0).id
    await services.presented.set_main_number(actor, world.fleet.id, "01 45 67 89 10")
    assert PRESENTED_USER_CHOICE.of(await services.lines.get(line_id))  # open by default
    user = Actor(name="salarie", channel=Channel.PORTAL, line_id=line_id)
    heard.clear()
    line = await services.presented.choose(user, line_id, MAIN, by_user=True)
    assert line.presented == MAIN
    [event] = heard
    assert isinstance(event.change, LineChange) and event.actor == user
    entries = await services.audit.search(AuditFilter(fleet_id=world.fleet.id, entity="line"))
    assert entries.items[0].actor == "salarie"
    await services.lines.update(actor, line_id, settings={PRESENTED_USER_CHOICE: False})
    heard.clear()
    error = await fails(
        ErrorCode.PRESENTED_LOCKED,
        services.presented.choose(user, line_id, LINE_NUMBER, by_user=True),
    )
    assert error.field == "presented" and "06 11 00 00 01" in error.message(Language.FR)
    assert heard == [] and (await services.lines.get(line_id)).presented == MAIN
    # the manager still chooses for the locked line
    line = await services.presented.choose(actor, line_id, LINE_NUMBER)
    assert line.presented == LINE_NUMBER


def test_a_choice_without_a_group_is_one_value_every_line_shares() -> None:
    assert PresentedNumber.of(PresentedKind.LINE) is LINE_NUMBER
    assert PresentedNumber.of(PresentedKind.MAIN, 7) is PresentedNumber.of(PresentedKind.MAIN)
    assert PresentedNumber.of(PresentedKind.MAIN) == PresentedNumber(PresentedKind.MAIN)
    assert PresentedNumber.of(PresentedKind.GROUP, 7) == PresentedNumber(PresentedKind.GROUP, 7)
    with pytest.raises(ValueError, match="group id"):
        PresentedNumber.of(PresentedKind.GROUP)
