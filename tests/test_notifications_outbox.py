"""The SMS outbox under failures: one undeliverable message never holds the others; each
message has its own attempts and delay; what the SMSC refuses for good is given up and
journalled; two senders on one database never send the same message."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes.notices import notices
from featurecodes.notify import Notifier
from featurecodes.ussd import Sms, SmsFailure, SmsNotSent
from fleet.core import model
from fleet.core.clock import ManualClock
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import Actor, AuditAction, Channel, ForwardingKind
from fleet.db.engine import create_engine, is_sqlite, session_factory
from fleet.db.tables import OutboxRow
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.lines import NewLine
from fleet.services.outbox import Attempt, Result, Retry
from simulators.smsc import SmscSimulator
from tests.polling import WITHIN
from tests.test_smpp_gateway import StubHandler, make_gateway, running

MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)
NOTICE = "Votre gestionnaire a modifié vos renvois : Occupation 0145678910"


async def fleet_of(services: Services, actor: Actor, count: int) -> list[model.Line]:
    """A fleet of ``count`` lines, 06 12 00 00 01 onwards."""
    fleet = await services.fleets.create(actor, name="Livraisons", short_number_length=4)
    return await services.lines.create_many(
        actor,
        fleet.id,
        [
            NewLine(msisdn=f"0612{i:06d}", short_number=f"{3000 + i}", employee_name=f"N°{i}")
            for i in range(1, count + 1)
        ],
    )


async def notify_each(services: Services, lines: list[model.Line]) -> None:
    """The manager sets a busy forwarding on every line: one SMS each, oldest first."""
    for line in lines:
        await services.forwarding.set(
            MANAGER, line.id, ForwardingKind.BUSY, destination="0145678910"
        )


class FlakySmsc:
    """An SMS sender refusing some numbers, for now or for good; ``down``: no bind."""

    def __init__(self) -> None:
        self.refusals: dict[E164, SmsFailure] = {}
        self.down = False
        self.tries: Counter[E164] = Counter()
        self.inbox: list[Sms] = []

    async def send(self, sms: Sms) -> None:
        if self.down:
            raise SmsNotSent("no bind", SmsFailure.UNAVAILABLE)
        self.tries[sms.msisdn] += 1
        failure = self.refusals.get(sms.msisdn)
        if failure is not None:
            raise SmsNotSent(f"refused ({failure.value})", failure)
        self.inbox.append(sms)


@pytest.fixture
async def notifier(services: Services) -> AsyncIterator[Notifier]:
    notifier = Notifier(services=services)
    notifier.attach_to(services.changes)
    yield notifier
    notifier.detach_from(services.changes)


async def test_a_refused_destination_is_given_up_and_the_twenty_others_are_delivered(
    services: Services, actor: Actor, notifier: Notifier
) -> None:
    lines = await fleet_of(services, actor, 21)
    refused = lines[0]  # its message is the oldest in the outbox
    async with SmscSimulator(answer_timeout=5.0) as smsc:
        smsc.refuse(refused.msisdn.value)  # ESME_RINVDSTADR
        async with running(make_gateway(smsc, StubHandler()), smsc) as gateway:
            notifier.attach(gateway.sms_sender)
            await notify_each(services, lines)
            await notifier.settled()
            assert await notifier.flush() == 0  # nothing left to send, nothing retried
        delivered = {number for number, inbox in smsc.inbox.items() if inbox}
        assert delivered == {line.msisdn.value for line in lines[1:]}
        assert all([m.text for m in smsc.inbox[n]] == [NOTICE] for n in delivered)
        assert [m.destination for m in smsc.refused_submits] == [refused.msisdn.value[1:]]
    assert await services.outbox.count_pending() == 0
    assert await services.outbox.count_dead() == 1
    journal = await services.audit.search(
        AuditFilter(fleet_id=refused.fleet_id, entity="line", entity_id=str(refused.id))
    )
    [given_up] = [e for e in journal.items if e.after and "sms_not_sent" in e.after]
    assert (given_up.action, given_up.channel, given_up.actor) == (
        AuditAction.UPDATE,
        Channel.SYSTEM,
        "sms",
    )
    assert given_up.after == {
        "sms_not_sent": NOTICE,
        "to": refused.msisdn.value,
        "attempts": 1,
        "error": "submit_sm refused: ESME_RINVDSTADR",
        "refused_for_good": True,
    }


async def test_a_message_refused_for_now_waits_its_own_delay_then_is_given_up(
    services: Services, actor: Actor, clock: ManualClock, notifier: Notifier
) -> None:
    lines = await fleet_of(services, actor, 3)
    smsc = FlakySmsc()
    busy = lines[1].msisdn
    smsc.refusals[busy] = SmsFailure.TEMPORARY
    notifier.attach(smsc)
    await notify_each(services, lines)
    await notifier.settled()
    assert [s.msisdn for s in smsc.inbox] == [lines[0].msisdn, lines[2].msisdn]
    retry = services.outbox.retry
    for attempt in range(1, retry.attempts):
        assert smsc.tries[busy] == attempt
        assert await services.outbox.count_pending() == 1
        clock.advance(retry.delay(attempt).total_seconds() - 1)
        assert await notifier.flush() == 0 and smsc.tries[busy] == attempt  # not due yet
        clock.advance(1)
        await notifier.flush()  # due: tried again
    assert smsc.tries[busy] == retry.attempts
    assert await services.outbox.count_pending() == 0
    assert await services.outbox.count_dead() == 1
    journal = await services.audit.search(AuditFilter(entity_id=str(lines[1].id)))
    [given_up] = [e for e in journal.items if e.after and "sms_not_sent" in e.after]
    assert given_up.after is not None
    assert (given_up.after["attempts"], given_up.after["refused_for_good"]) == (
        retry.attempts,
        False,
    )


def test_the_delay_grows_to_its_cap() -> None:
    retry = Retry(first=timedelta(seconds=30), factor=2, longest=timedelta(minutes=5))
    delays = [retry.delay(n).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]
    with pytest.raises(ValueError):
        Retry(first=timedelta(0))


async def test_without_a_bind_no_attempt_is_counted_and_all_go_once_it_is_back(
    services: Services, actor: Actor, notifier: Notifier
) -> None:
    lines = await fleet_of(services, actor, 3)
    smsc = FlakySmsc()
    smsc.down = True
    notifier.attach(smsc)
    await notify_each(services, lines)
    await notifier.settled()
    assert await notifier.flush() == 0
    assert [sms.attempts for sms in await services.outbox.pending()] == [0, 0, 0]
    smsc.down = False
    assert await notifier.flush() == 3  # due at once: no delay was charged
    assert await services.outbox.count_pending() == 0


async def test_messages_to_one_number_keep_their_order_behind_a_failing_one(
    services: Services, actor: Actor, clock: ManualClock, notifier: Notifier
) -> None:
    [line, other] = await fleet_of(services, actor, 2)
    smsc = FlakySmsc()
    smsc.refusals[line.msisdn] = SmsFailure.TEMPORARY
    notifier.attach(smsc)
    await services.forwarding.set(MANAGER, line.id, ForwardingKind.BUSY, destination="0145678910")
    await services.forwarding.deactivate(MANAGER, line.id, ForwardingKind.BUSY)
    await notify_each(services, [other])
    await notifier.settled()
    assert [s.msisdn for s in smsc.inbox] == [other.msisdn]  # the other number is not held
    assert smsc.tries[line.msisdn] == 1  # the second message to it waits behind the first
    del smsc.refusals[line.msisdn]
    clock.advance(services.outbox.retry.delay(1).total_seconds())
    assert await notifier.flush() == 2
    assert [s.text for s in smsc.inbox if s.msisdn == line.msisdn] == [
        NOTICE,
        "Votre gestionnaire a modifié vos renvois : Occupation inactive",
    ]


async def test_a_claim_whose_sender_died_lapses_and_the_message_is_sent_again(
    services: Services, actor: Actor, clock: ManualClock
) -> None:
    lines = await fleet_of(services, actor, 1)
    stage = services.outbox.stager(notices)  # staged only: no sender
    services.changes.stage_with(stage)
    try:
        await notify_each(services, lines)
    finally:
        services.changes.unstage(stage)
    [claimed] = await services.outbox.claim(10)  # a sender takes it, then dies
    assert await services.outbox.claim(10) == []  # nobody else takes it meanwhile
    clock.advance(services.outbox.retry.lease.total_seconds())
    [again] = await services.outbox.claim(10)
    assert again.id == claimed.id
    settled = await services.outbox.settle([Attempt(again.id, Result.SENT)])
    assert settled.sent == 1 and await services.outbox.count_pending() == 0


async def test_two_senders_on_one_database_never_send_the_same_message(
    database_url: str,
    engine: AsyncEngine,
    services: Services,
    actor: Actor,
    clock: ManualClock,
    policy: NumberPolicy,
    notifier: Notifier,
) -> None:
    """Two service processes (here two engines, each its own pool and sessions) flush one
    outbox at once: each message goes out once. On PostgreSQL the claims take different
    rows (FOR UPDATE SKIP LOCKED); on SQLite the claim is one atomic UPDATE."""
    lines = await fleet_of(services, actor, 40)
    await notify_each(services, lines)  # no sender attached yet: all 40 wait
    assert await services.outbox.count_pending() == 40
    second = create_engine(database_url, pool_size=5)
    try:
        context = ServiceContext(sessions=session_factory(second), clock=clock, policy=policy)
        other = Services.build(context=context)
        sent: list[tuple[str, E164]] = []
        entered: set[str] = set()
        both = asyncio.Event()

        class Sender:
            def __init__(self, name: str) -> None:
                self.name = name

            async def send(self, sms: Sms) -> None:
                entered.add(self.name)
                if len(entered) == 2:
                    both.set()
                await asyncio.wait_for(both.wait(), WITHIN)  # both are mid-flush
                sent.append((self.name, sms.msisdn))

        first = Notifier(services=services, sender=Sender("first"))
        then = Notifier(services=other, sender=Sender("second"))
        counts = await asyncio.gather(first.flush(), then.flush())
    finally:
        await second.dispose()
    assert sum(counts) == 40
    assert Counter(msisdn for _, msisdn in sent) == Counter(line.msisdn for line in lines)
    assert {name for name, _ in sent} == {"first", "second"}
    assert await services.outbox.count_pending() == 0


async def test_on_postgresql_a_claim_skips_rows_another_claim_holds_without_waiting(
    database_url: str, engine: AsyncEngine, services: Services, actor: Actor, notifier: Notifier
) -> None:
    if is_sqlite(database_url):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    lines = await fleet_of(services, actor, 8)
    await notify_each(services, lines)  # no sender: all 8 wait
    ids = sorted(sms.id for sms in await services.outbox.pending())
    assert len(ids) == 8
    async with engine.connect() as holder, holder.begin():  # a claim under way elsewhere
        await holder.execute(
            sa.select(OutboxRow.id).where(OutboxRow.id.in_(ids[:3])).with_for_update()
        )
        claimed = await asyncio.wait_for(services.outbox.claim(10), WITHIN)  # no wait
        assert [sms.id for sms in claimed] == ids[3:]
    assert [sms.id for sms in await services.outbox.claim(10)] == ids[:3]
