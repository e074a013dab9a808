"""FleetPBX on SIP as the service runs it, SIPp playing the S-CSCF and the handsets, every
session captured and read by Wireshark's SIP dissector (:mod:`tests.sipnet.sipp_matrix`:
every packet SIP, none malformed, no expert warning, every dialog complete): incoming-call
lists (simultaneous and cascade) and call groups (linear and simultaneous) with a member
connecting by USSD, over SMPP, between two calls. Each fleet is configured through the
services."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import DistributionMode, NoAnswerAction, RingMode
from tests.sip.capture import SipMessage
from tests.sipnet.sipp_matrix import Handset, Session, history, matrix, statuses
from tests.sipnet.sipp_service import ACTOR

pytestmark = pytest.mark.slow

L = [f"+336110000{i:02d}" for i in range(1, 13)]  # the lines of tests.world, in order
GROUP = "0609182236"


def national(number: str) -> str:
    return "0" + number[3:]


async def ring_list(session: Session, owner: int, entries: list[int], mode: RingMode) -> None:
    await session.service.services.incoming.save(
        ACTOR,
        session.service.world.line(owner).id,
        entries=[national(L[i]) for i in entries],
        mode=mode,
        ring_time=5,  # the shortest
    )


def cancelled(session: Session, leg: SipMessage) -> SipMessage:
    """The CANCEL of ``leg`` (which must have one)."""
    cancels = session.requests_on(leg, "CANCEL")
    assert cancels, f"{leg} not cancelled\n{session.shown()}"
    return cancels[0]


def answered(session: Session, caller: str) -> None:
    assert statuses(session.to_caller(caller))[-1] == 200, session.shown()


async def test_a_simultaneous_list_rings_every_entry_and_cancels_the_others_on_the_answer(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {L[1]: Handset.RING, L[2]: Handset.ANSWER, L[3]: Handset.RING}
    async with matrix(tmp_path, database_url, handsets, b_legs=3) as session:
        await ring_list(session, 0, [1, 2, 3], RingMode.SIMULTANEOUS)
        await session.call("caller", L[0])
    shown = session.shown()
    assert session.b_legs(L[0]) == [], shown  # the owner's own handset does not ring
    (first,), (taker,), (third,) = (session.b_legs(L[i]) for i in (1, 2, 3))
    answer = next(
        m
        for m in session.messages
        if m.status == 200 and m.cseq_method == "INVITE" and m.src_port == session.handsets
    )
    # all at once: every entry was rung before FleetPBX took the answer (its ACK) — the
    # handset's 200 itself may be on the wire before the last INVITE on a busy machine
    (ack, *_) = session.requests_on(taker, "ACK")
    assert max(first.frame, taker.frame, third.frame) < ack.frame, shown
    assert answer.frame < cancelled(session, first).frame, shown
    assert answer.frame < cancelled(session, third).frame, shown
    assert session.requests_on(taker, "CANCEL") == [], shown
    answered(session, "caller")


async def test_a_cascade_list_rings_its_entries_one_after_another(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {L[1]: Handset.RING, L[2]: Handset.BUSY, L[3]: Handset.ANSWER}
    async with matrix(tmp_path, database_url, handsets, b_legs=3) as session:
        await ring_list(session, 0, [1, 2, 3], RingMode.CASCADE)
        await session.call("caller", L[0])
    shown = session.shown()
    (first,), (busy,), (taker,) = (session.b_legs(L[i]) for i in (1, 2, 3))
    assert first.frame < cancelled(session, first).frame < busy.frame < taker.frame, shown
    answered(session, "caller")


async def group_with_a_member_connecting_by_ussd(
    tmp_path: Path, database_url: str, distribution: DistributionMode
) -> Session:
    """A group of lines 1 (connected; its handset rings, never answers) and 2 (disconnected;
    answers), forwarding to line 3 when nobody answers (5 s a step). The first call rings
    line 1 and goes on to line 3; line 2 connects by USSD; the second call reaches line 2."""
    handsets = {L[0]: Handset.RING, L[1]: Handset.ANSWER, L[2]: Handset.ANSWER}
    async with matrix(tmp_path, database_url, handsets, b_legs=4) as session:
        service = session.service
        first, second = service.world.line(0), service.world.line(1)
        group = await service.services.groups.create(
            ACTOR,
            service.world.fleet.id,
            number=GROUP,
            name="Standard",
            user_code="1703",
            admin_code="2202",
            distribution=distribution,
            switchover_delay=5,  # the shortest
            no_answer_action=NoAnswerAction.FORWARD_TO_NUMBER,
            no_answer_number=national(L[2]),
            members=[first.id, second.id],
        )
        await service.services.groups.set_connected(ACTOR, group.id, first.id, True)
        await session.call("before", "+33" + GROUP[1:])
        assert "Connecté" in await service.ussd(L[1], f"*55*{GROUP}*1703#")
        await session.call("after", "+33" + GROUP[1:])
    shown = session.shown()
    (diverted,) = session.b_legs(L[2])
    assert "cause=408" in history(diverted), shown  # the group's no-answer rule
    (joined,) = session.b_legs(L[1])
    before, after = session.b_legs(L[0])
    assert cancelled(session, before).frame < diverted.frame, shown
    assert diverted.frame < after.frame < joined.frame, shown  # not rung before it connected
    answered(session, "before")
    answered(session, "after")
    return session


async def test_a_linear_group_reaches_a_member_connected_by_ussd_after_the_first(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    session = await group_with_a_member_connecting_by_ussd(
        tmp_path, database_url, DistributionMode.LINEAR
    )
    shown = session.shown()
    (joined,) = session.b_legs(L[1])
    after = session.b_legs(L[0])[1]
    assert cancelled(session, after).frame < joined.frame, shown  # one after the other


async def test_a_simultaneous_group_rings_a_member_connected_by_ussd_with_the_others(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    session = await group_with_a_member_connecting_by_ussd(
        tmp_path, database_url, DistributionMode.SIMULTANEOUS
    )
    shown = session.shown()
    (joined,) = session.b_legs(L[1])
    after = session.b_legs(L[0])[1]
    answer = next(
        m
        for m in session.messages
        if m.status == 200
        and m.cseq_method == "INVITE"
        and m.value("sip.Call-ID") == joined.value("sip.Call-ID")
    )
    assert after.frame < joined.frame < answer.frame < cancelled(session, after).frame, shown
