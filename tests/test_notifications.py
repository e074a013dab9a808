"""SMS notifications of a fleet manager's changes: outbox first, nothing lost."""

from __future__ import annotations

import pytest

from featurecodes.notify import Notifier
from featurecodes.ussd import Sms
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.container import Services
from tests.exchange import n
from tests.world import World, build_world

MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)
USER = Actor(name="0611000001", channel=Channel.USSD)


class FakeSmsc:
    def __init__(self) -> None:
        self.up = True
        self.inbox: list[Sms] = []

    async def send(self, sms: Sms) -> None:
        if not self.up:
            raise ConnectionError("not bound")
        self.inbox.append(sms)


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


@pytest.fixture
def smsc() -> FakeSmsc:
    return FakeSmsc()


@pytest.fixture
def notifier(services: Services, smsc: FakeSmsc) -> Notifier:
    notifier = Notifier(services=services, sender=smsc)
    services.changes.subscribe(notifier.changed)
    return notifier


async def _group(services: Services, world: World) -> int:
    group = await services.groups.create(
        MANAGER,
        world.fleet.id,
        number="0609182236",
        name="Com",
        user_code="1703",
        admin_code="2202",
        members=[world.line(0).id, world.line(1).id],
    )
    return group.id


async def test_a_member_disconnected_by_the_manager_gets_an_sms(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    group_id = await _group(services, world)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, True)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, False)
    assert [(s.msisdn, s.text) for s in smsc.inbox] == [
        (n("0611000002"), "Votre gestionnaire vous a connecté au groupe Com."),
        (n("0611000002"), "Votre gestionnaire vous a déconnecté du groupe Com."),
    ]
    assert await services.outbox.count_pending() == 0


async def test_a_forwarding_changed_by_the_manager_is_notified(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    await services.forwarding.set(
        MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    await services.forwarding.deactivate(MANAGER, world.line(0).id, ForwardingKind.BUSY)
    assert [s.text for s in smsc.inbox] == [
        "Votre gestionnaire a modifié vos renvois : Occupation 0145678910",
        "Votre gestionnaire a modifié vos renvois : Occupation inactive",
    ]


async def test_the_users_own_changes_send_nothing(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    group_id = await _group(services, world)
    await services.groups.set_connected(USER, group_id, world.line(0).id, True)
    await services.forwarding.set(
        USER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    assert smsc.inbox == []


async def test_nothing_is_lost_across_an_smsc_outage_and_a_restart(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    group_id = await _group(services, world)
    smsc.up = False
    await services.groups.set_connected(MANAGER, group_id, world.line(0).id, True)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, True)
    assert smsc.inbox == []
    assert await services.outbox.count_pending() == 2
    # the service restarts: a new notifier finds the outbox and sends it once the SMSC is back
    services.changes.unsubscribe(notifier.changed)
    restarted = Notifier(services=services, sender=smsc)
    assert await restarted.flush() == 0
    smsc.up = True
    assert await restarted.flush() == 2
    assert [s.msisdn for s in smsc.inbox] == [n("0611000001"), n("0611000002")]
    assert await services.outbox.count_pending() == 0
    assert await restarted.flush() == 0  # sent once only
