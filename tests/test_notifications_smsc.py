"""Notifications through the real SMPP bind: whatever the SMSC does, none is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from featurecodes.notify import Notifier
from fleet.core.clock import ManualClock
from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from simulators.smsc import Misbehaviour, SmscSimulator
from tests.polling import eventually
from tests.test_smpp_gateway import StubHandler, make_gateway, running
from tests.world import World, build_world, code_group

MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)
MEMBER = "+33611000002"


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(answer_timeout=3.0, slow_delay=0.3) as simulator:
        yield simulator


@pytest.mark.parametrize("misbehaviour", list(Misbehaviour))
async def test_no_notification_is_lost_whatever_the_smsc_does(
    misbehaviour: Misbehaviour,
    services: Services,
    world: World,
    smsc: SmscSimulator,
    clock: ManualClock,
) -> None:
    group = await code_group(
        services,
        MANAGER,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id, world.line(1).id],
    )
    async with running(make_gateway(smsc, StubHandler()), smsc) as gateway:
        notifier = Notifier(services=services, sender=gateway.sms_sender)
        notifier.attach_to(services.changes)
        try:
            smsc.misbehave(misbehaviour)
            if misbehaviour is Misbehaviour.MALFORMED_PDU:
                await smsc.send_malformed()
            await services.groups.set_connected(MANAGER, group.id, world.line(1).id, True)
            await services.groups.set_connected(MANAGER, group.id, world.line(1).id, False)
            smsc.behave()
            await eventually(lambda: gateway.bound, what="the bind restored")

            async def delivered() -> bool:
                # a message that failed waits its own delay (in the services' time)
                clock.advance(services.outbox.retry.longest.total_seconds())
                await notifier.flush()
                texts = [m.text for m in smsc.inbox[MEMBER]]
                return texts[-2:] == [
                    "Votre gestionnaire vous a connecté au groupe Com.",
                    "Votre gestionnaire vous a déconnecté du groupe Com.",
                ]

            # the outbox is retried until the SMSC takes it, none given up
            await eventually(delivered, every=0.05, what="both SMS delivered")
            assert await services.outbox.count_pending() == 0
            assert await services.outbox.count_dead() == 0
        finally:
            notifier.detach_from(services.changes)
