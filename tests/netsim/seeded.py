"""The fleet the netsim tests run against: the world of ``tests.world`` and the forwardings
the tests use; each test uses lines of its own."""

from __future__ import annotations

from fleet.core.barring import SETTINGS, Barring
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.container import Services
from fleet.services.lines import NewLine
from tests.netsim.ussd_seeded import seed_ussd
from tests.world import build_world

ACTOR = Actor(name="netsim-tests", channel=Channel.CLI)
FORWARDINGS = (  # line, kind, to, no-reply timer
    (3, ForwardingKind.NO_REPLY, 4, 5),  # the shortest no-reply timer
    (5, ForwardingKind.BUSY, 6, None),
    (7, ForwardingKind.NOT_REACHABLE, 8, None),
)


ROAMING_LINE = "0611000081"  # BAIC-Roam (351) active: the roaming test's


def line(index: int) -> str:
    """The national number of the world's line ``index`` (1-based: 06 11 00 00 01 …)."""
    return f"06110000{index:02d}"


async def seed(services: Services) -> int:
    """The fleet (its id) and the forwardings."""
    world = await build_world(services, ACTOR)
    for index, kind, to, timer in FORWARDINGS:
        await services.forwarding.set(
            ACTOR, world.line(index - 1).id, kind, destination=line(to), no_reply_timer=timer
        )
    await seed_ussd(services, ACTOR, world.fleet.id)
    (roaming,) = await services.lines.create_many(
        ACTOR,
        world.fleet.id,
        [NewLine(msisdn=ROAMING_LINE, short_number="2081", employee_name="Itinérant")],
    )
    await services.lines.update(ACTOR, roaming.id, settings={SETTINGS[Barring.BAIC_ROAM]: True})
    return world.fleet.id
