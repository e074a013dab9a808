"""FleetPBX on SIP as the service runs it, SIPp playing the S-CSCF and the handsets, every
session captured and read by Wireshark's SIP dissector (:mod:`tests.sipnet.sipp_matrix`:
every packet SIP, none malformed, no expert warning, every dialog complete): the forwarding
types, a forwarding loop and the hop limit. Each fleet is configured through the services."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import ForwardingKind
from tests.sipnet.sipp_matrix import Handset, Session, history, matrix, statuses
from tests.sipnet.sipp_service import ACTOR

pytestmark = pytest.mark.slow

L = [f"+336110000{i:02d}" for i in range(1, 13)]  # the lines of tests.world, in order


def national(number: str) -> str:
    return "0" + number[3:]


async def forward(
    session: Session, index: int, kind: ForwardingKind, to: int, timer: int | None = None
) -> None:
    line = session.service.world.line(index)
    await session.service.services.forwarding.set(
        ACTOR, line.id, kind, destination=national(L[to]), no_reply_timer=timer
    )


def forwarded_with(session: Session, caller: str, cause: int) -> None:
    """The caller heard a 181 carrying History-Info ``cause=`` before the answer."""
    heard = session.to_caller(caller)
    shown = session.shown()
    ringing = [m for m in heard if m.status == 181]
    assert ringing and f"cause={cause}" in history(ringing[-1]), shown
    assert statuses(heard).index(181) < statuses(heard).index(200), shown


async def test_no_reply_cancels_the_ringing_handset_and_forwards_with_cause_408(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {L[0]: Handset.RING, L[1]: Handset.ANSWER}
    async with matrix(tmp_path, database_url, handsets, b_legs=2) as session:
        await forward(session, 0, ForwardingKind.NO_REPLY, to=1, timer=5)  # the shortest
        await session.call("caller", L[0])
    shown = session.shown()
    (rung,), (diverted,) = session.b_legs(L[0]), session.b_legs(L[1])
    assert len(session.requests_on(rung, "CANCEL")) >= 1, shown
    assert rung.frame < session.requests_on(rung, "CANCEL")[0].frame < diverted.frame, shown
    assert "cause=408" in history(diverted), shown
    assert "reason=no-answer" in (diverted.value("sip.Diversion") or ""), shown
    forwarded_with(session, "caller", 408)


async def test_unreachable_handsets_480_and_silent_until_timer_b_forward_when_not_reachable(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {
        L[0]: Handset.UNAVAILABLE,
        L[1]: Handset.ANSWER,
        L[2]: Handset.SILENT,
        L[3]: Handset.ANSWER,
    }
    # T1 of 0.1 s: timer B (64·T1) fires after 6.4 s instead of 32 s
    async with matrix(tmp_path, database_url, handsets, b_legs=4, t1=0.1, silent_legs=1) as session:
        await forward(session, 0, ForwardingKind.NOT_REACHABLE, to=1)
        await forward(session, 2, ForwardingKind.NOT_REACHABLE, to=3)
        await asyncio.gather(session.call("to_480", L[0]), session.call("to_silent", L[2]))
    shown = session.shown()
    for unreachable, destination, caller in ((0, 1, "to_480"), (2, 3, "to_silent")):
        (first,), (diverted,) = session.b_legs(L[unreachable]), session.b_legs(L[destination])
        assert first.frame < diverted.frame, shown
        assert "cause=503" in history(diverted), shown
        assert "reason=unavailable" in (diverted.value("sip.Diversion") or ""), shown
        forwarded_with(session, caller, 503)
    (silent,) = session.b_legs(L[2])
    assert session.requests_on(silent, "CANCEL") == [], shown  # nothing provisional: no CANCEL


async def test_unconditional_forwarding_never_rings_the_line_and_says_302(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {L[0]: Handset.ANSWER, L[1]: Handset.ANSWER}
    async with matrix(tmp_path, database_url, handsets, b_legs=1) as session:
        await forward(session, 0, ForwardingKind.UNCONDITIONAL, to=1)
        await session.call("caller", L[0])
    shown = session.shown()
    assert session.b_legs(L[0]) == [], shown
    (diverted,) = session.b_legs(L[1])
    assert "cause=302" in history(diverted), shown
    assert "reason=unconditional" in (diverted.value("sip.Diversion") or ""), shown
    forwarded_with(session, "caller", 302)


async def test_a_forwarding_loop_gets_482_and_a_sixth_hop_483_but_a_fifth_connects(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    handsets = {L[8]: Handset.ANSWER}
    async with matrix(tmp_path, database_url, handsets, b_legs=1) as session:
        await forward(session, 0, ForwardingKind.UNCONDITIONAL, to=1)  # 1 -> 2 -> 1
        await forward(session, 1, ForwardingKind.UNCONDITIONAL, to=0)
        for hop in range(2, 8):  # 3 -> 4 -> 5 -> 6 -> 7 -> 8 -> 9
            await forward(session, hop, ForwardingKind.UNCONDITIONAL, to=hop + 1)
        await asyncio.gather(
            session.call("loop", L[0], "isc_scscf_refused_call"),
            session.call("sixth", L[2], "isc_scscf_refused_call"),  # 3 -> … -> 9: six hops
        )
        await session.call("fifth", L[3])  # 4 -> … -> 9: five hops
    shown = session.shown()
    assert statuses(session.to_caller("loop"))[-1] == 482, shown
    assert statuses(session.to_caller("sixth"))[-1] == 483, shown
    invites = [m for m in session.messages if m.method == "INVITE"]
    rung = {m.value("sip.r-uri") for m in invites if m.dst_port == session.handsets}
    assert rung == {f"tel:{L[8]}"}, shown  # only the five hops' call reached a handset
    (leg,) = session.b_legs(L[8])
    assert history(leg).count("cause=302") == 5, shown
    forwarded_with(session, "fifth", 302)
