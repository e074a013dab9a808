"""A small fleet to test against: lines with and without the PABX option, fixed numbers."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core import model
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
        actor, fleet.id, msisdn="0611000050", employee_name="Sans option", pabx_option=False
    )
    foreign = await services.lines.create(
        actor, other.id, msisdn="0622000001", short_number="2001", employee_name="Ailleurs"
    )
    fixed = await services.fleets.add_fixed_number(
        actor, fleet.id, number="01 45 67 89 10", label="Accueil", trunk="trunk-siege"
    )
    return World(
        fleet=fleet, other_fleet=other, lines=lines, plain=plain, foreign=foreign, fixed=fixed
    )
