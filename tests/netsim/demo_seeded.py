"""The demo fleet the netsim tests of seed 004 and of the web console run against (one pair of
processes for both modules), with the timers shortened for the tests — the demo keeps its own:
5 s a step of Madame B's cascade (15 s in the demo) and of the taxi group's switchover, 5 s
Madame C's no-reply forwarding to her assistant (25 s in the demo). The company PBX's trunk
points at a free port (netsim's PBX answers there)."""

from __future__ import annotations

from fleet import demo
from fleet.core.values import ForwardingKind, RingMode
from fleet.services.container import Services
from tests.ports import free_port

STEP = 5  # seconds: the shortest ring time of a list step and switchover of a group
NO_REPLY_TIMER = 5  # seconds (the shortest allowed)


async def seed_demo(services: Services) -> int:
    """The demo fleet (its id) with the tests' short timers."""
    info = await demo.ensure_demo(services, pbx=("127.0.0.1", free_port()))
    madame_b = await services.lines.get_by_msisdn("0611000002")
    await services.incoming.save(
        demo.DEMO_ACTOR,
        madame_b.id,
        entries=["0145678911", "0611000002", "0611000006"],
        mode=RingMode.CASCADE,
        ring_time=STEP,
    )
    taxis = await services.groups.get_by_number("0611000099")
    await services.groups.update(demo.DEMO_ACTOR, taxis.id, switchover_delay=STEP)
    madame_c = await services.lines.get_by_msisdn("0611000004")
    await services.forwarding.set(
        demo.DEMO_ACTOR,
        madame_c.id,
        ForwardingKind.NO_REPLY,
        destination="0611000007",
        no_reply_timer=NO_REPLY_TIMER,
    )
    return info.fleet_id
