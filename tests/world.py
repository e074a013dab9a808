"""A small fleet to test against: lines with and without the PABX option, fixed numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleet.core import model
from fleet.core.linesettings import PABX_OPTION
from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.lines import NewLine


@dataclass
class World:
    fleet: model.Fleet
    other_fleet: model.Fleet
    lines: list[model.Line]  # 12 lines with the PABX option, short numbers 2001..2012
    plain: model.Line  # no PABX option
    foreign: model.Line  # a line of the other fleet (PABX option)
    fixed: model.FixedNumber  # 01 45 67 89 10, in the fleet

    def line(self, index: int) -> model.Line:
        return self.lines[index]


async def build_world(services: Services, actor: Actor) -> World:
    fleet = await services.fleets.create(actor, name="Taxis Express", short_number_length=4)
    other = await services.fleets.create(actor, name="Autre Société", short_number_length=4)
    lines = await services.lines.create_many(
        actor,
        fleet.id,
        [
            NewLine(
                msisdn=f"06110000{i:02d}", short_number=f"{2000 + i}", employee_name=f"Salarié {i}"
            )
            for i in range(1, 13)
        ],
    )
    plain = await services.lines.create(
        actor,
        fleet.id,
        msisdn="0611000050",
        employee_name="Sans option",
        settings={PABX_OPTION: False},
    )
    foreign = await services.lines.create(
        actor, other.id, msisdn="0622000001", short_number="2001", employee_name="Ailleurs"
    )
    await services.trunks.add(actor, fleet.id, name="trunk-siege", host="pbx.taxis.example")
    fixed = await services.fleets.add_fixed_number(
        actor, fleet.id, number="01 45 67 89 10", label="Accueil", trunk="trunk-siege"
    )
    return World(
        fleet=fleet, other_fleet=other, lines=lines, plain=plain, foreign=foreign, fixed=fixed
    )


async def code_group(
    services: Services,
    actor: Actor,
    fleet_id: int,
    *,
    number: str,
    name: str,
    **settings: Any,
) -> model.CallGroup:
    """A call group with the codes the tests dial: user 1703, administrative 2202."""
    return await services.groups.create(
        actor,
        fleet_id,
        number=number,
        name=name,
        user_code="1703",
        admin_code="2202",
        **settings,
    )


PASSWORD = "un-mot-de-passe"


@dataclass
class Accounts:
    """The world with a group in each fleet, a manager ("chef") and an employee ("salarie")."""

    world: World
    group_id: int  # "Com" 06 09 18 22 36, lines 1 and 2 of the fleet
    other_group_id: int  # "Ailleurs", in the other fleet


async def build_accounts(services: Services, actor: Actor) -> Accounts:
    world = await build_world(services, actor)
    group = await services.groups.create(
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        user_code="1703",
        admin_code="2202",
        queue_size=1,
        switchover_delay=12,
        intercall_delay=30,
        members=[world.line(0).id, world.line(1).id],
    )
    other = await services.groups.create(
        actor,
        world.other_fleet.id,
        number="0609182299",
        name="Ailleurs",
        user_code="1111",
        admin_code="2222",
        members=[world.foreign.id],
    )
    await services.accounts.create_manager(
        actor, login="chef", password=PASSWORD, display_name="Chef", fleet_ids=[world.fleet.id]
    )
    await services.accounts.create_employee(
        actor, login="salarie", password=PASSWORD, line_id=world.line(0).id
    )
    return Accounts(world=world, group_id=group.id, other_group_id=other.id)
