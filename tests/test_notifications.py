"""SMS notifications of a fleet manager's changes: outbox first, nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from featurecodes.notices import notices
from featurecodes.notify import Notifier
from featurecodes.ussd import Sms, SmsFailure, SmsNotSent
from fleet.core.changes import ChangeEvent
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.container import Services
from tests.exchange import n
from tests.world import World, build_world, code_group

MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)
USER = Actor(name="0611000001", channel=Channel.USSD)


class FakeSmsc:
    def __init__(self) -> None:
        self.up = True
        self.hold: asyncio.Event | None = None  # when set, submits wait for it
        self.inbox: list[Sms] = []

    async def send(self, sms: Sms) -> None:
        if self.hold is not None:
            await self.hold.wait()
        if not self.up:
            raise SmsNotSent("not bound", SmsFailure.UNAVAILABLE)
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
    notifier.attach_to(services.changes)
    return notifier


async def _group(services: Services, world: World) -> int:
    group = await code_group(
        services,
        MANAGER,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id, world.line(1).id],
    )
    return group.id


async def test_a_member_disconnected_by_the_manager_gets_an_sms(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    group_id = await _group(services, world)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, True)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, False)
    await notifier.settled()
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
    await notifier.settled()
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
    await notifier.settled()
    assert smsc.inbox == []


async def test_the_sms_commits_with_the_change_or_not_at_all(
    services: Services, world: World
) -> None:
    stage = services.outbox.stager(notices)  # no sending: only what the commit holds
    services.changes.stage_with(stage)
    try:
        await services.forwarding.set(
            MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
        )
        assert await services.outbox.count_pending() == 1
        with pytest.raises(DomainError):  # refused: neither the change nor its SMS
            await services.forwarding.set(
                MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0899123456"
            )
        assert await services.outbox.count_pending() == 1
        [sms] = await services.outbox.pending()
        assert sms.text == "Votre gestionnaire a modifié vos renvois : Occupation 0145678910"
    finally:
        services.changes.unstage(stage)


async def test_a_change_that_fails_after_its_sms_was_staged_leaves_neither(
    services: Services, world: World
) -> None:
    async def fail(session: object, events: Sequence[ChangeEvent]) -> None:
        assert await services.outbox.count_pending() == 0  # not visible before the commit
        raise ConnectionResetError("the database went away mid-commit")

    stage = services.outbox.stager(notices)
    services.changes.stage_with(stage)
    services.changes.stage_with(fail)  # runs after the outbox stager, in the same transaction
    try:
        with pytest.raises(DomainError) as caught:
            await services.forwarding.set(
                MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
            )
        assert caught.value.code is ErrorCode.DATABASE_UNAVAILABLE
    finally:
        services.changes.unstage(fail)
        services.changes.unstage(stage)
    assert await services.outbox.count_pending() == 0
    assert await services.forwarding.of_line(world.line(0).id) == ()


async def test_a_slow_smsc_does_not_delay_the_managers_change(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    gate = asyncio.Event()
    smsc.hold = gate  # every submit waits until the gate opens
    await services.forwarding.set(
        MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )  # returned although the SMSC has not answered
    assert smsc.inbox == [] and await services.outbox.count_pending() == 1
    gate.set()
    await notifier.settled()
    assert len(smsc.inbox) == 1 and await services.outbox.count_pending() == 0


async def test_nothing_is_lost_across_an_smsc_outage_and_a_restart(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    group_id = await _group(services, world)
    smsc.up = False
    await services.groups.set_connected(MANAGER, group_id, world.line(0).id, True)
    await services.groups.set_connected(MANAGER, group_id, world.line(1).id, True)
    await notifier.settled()
    assert smsc.inbox == []
    assert await services.outbox.count_pending() == 2
    # the service restarts: a new notifier finds the outbox and sends it once the SMSC is back
    notifier.detach_from(services.changes)
    restarted = Notifier(services=services, sender=smsc)
    assert await restarted.flush() == 0
    smsc.up = True
    assert await restarted.flush() == 2
    assert [s.msisdn for s in smsc.inbox] == [n("0611000001"), n("0611000002")]
    assert await services.outbox.count_pending() == 0
    assert await restarted.flush() == 0  # sent once only


async def test_a_forwarding_set_again_unchanged_is_no_change_at_all(
    services: Services, world: World, smsc: FakeSmsc, notifier: Notifier
) -> None:
    heard: list[ChangeEvent] = []

    async def hear(events: Sequence[ChangeEvent]) -> None:
        heard.extend(events)

    services.changes.subscribe(hear)
    line = world.line(0).id
    for _ in range(3):  # the portal, the API, USSD: all save through the same call
        rule = await services.forwarding.set(
            MANAGER, line, ForwardingKind.NO_REPLY, destination="0145678910", no_reply_timer=25
        )
    assert rule.active and rule.no_reply_timer == 25
    await notifier.settled()
    assert len(smsc.inbox) == 1 and len(heard) == 1
    await services.forwarding.set(
        MANAGER, line, ForwardingKind.NO_REPLY, destination="0145678910", no_reply_timer=30
    )
    await notifier.settled()
    assert len(smsc.inbox) == 2 and len(heard) == 2
