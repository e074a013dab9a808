"""The fleet the netsim tests run against: the world of ``tests.world`` and the forwardings
the tests use; each test uses lines of its own."""

from __future__ import annotations

from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.container import Services
from tests.netsim.ussd_seeded import seed_ussd
from tests.world import build_world

ACTOR = Actor(name="netsim-tests", channel=Channel.CLI)
FORWARDINGS = (  # line, kind, to, no-reply timer
    (3, ForwardingKind.NO_REPLY, 4, 5),  # the shortest no-reply timer
    (5, ForwardingKind.BUSY, 6, None),
    (7, ForwardingKind.NOT_REACHABLE, 8, None),
)


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
    return world.fleet.id
