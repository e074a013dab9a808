"""What the USSD tests of netsim use, seeded with the package's fleet: lines of their own
(06 11 00 00 71 … 74, short numbers 2071 … 2074) and a call group with codes (number
06 09 18 22 71, user code 1703, administrative code 2202) whose members, lines 73 and 74, start
disconnected."""

from __future__ import annotations

from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.lines import NewLine

GROUP = "0609182271"
USER_CODE, ADMIN_CODE = "1703", "2202"


def ussd_line(index: int) -> str:
    """The national number of the USSD tests' line ``index`` (71 … 74)."""
    return f"06110000{index:02d}"


async def seed_ussd(services: Services, actor: Actor, fleet_id: int) -> None:
    lines = await services.lines.create_many(
        actor,
        fleet_id,
        [
            NewLine(msisdn=ussd_line(i), short_number=f"{2000 + i}", employee_name=f"USSD {i}")
            for i in range(71, 75)
        ],
    )
    await services.groups.create(
        actor,
        fleet_id,
        number=GROUP,
        name="Taxis USSD",
        user_code=USER_CODE,
        admin_code=ADMIN_CODE,
        members=[lines[2].id, lines[3].id],
    )
