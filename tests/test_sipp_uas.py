"""SIPp (an independent SIP implementation) as UAS, called by a small application on our stack
(:mod:`tests.sip.sipp_caller`, the UA core as UAC): busy, no answer (our CANCEL), a 200 after
our CANCEL, re-INVITE glare; and TCP both ways (SIPp as UAS, and SIPp as UAC against
:mod:`tests.sip.sipp_app`). SIPp must count every call successful (exit code 0), and our side
must have seen what the scenario did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.sip.dialog import DialogState
from fleet.sip.transport_types import TCP, UDP, Transport
from fleet.sip.ua_calls import OutgoingCall, OutgoingState
from tests.polling import eventually
from tests.sip.sipp_app import Script, sipp_app
from tests.sip.sipp_caller import CallerScript, SippCaller, sipp_caller
from tests.sip.sipp_runner import (
    SippRun,
    SippServer,
    SippTransport,
    run_sipp,
    sipp_binary,
    start_sipp_uas,
)

pytestmark = pytest.mark.slow

CALLS = 3
NO_ANSWER_PATIENCE = 0.5  # seconds from the 180 to our CANCEL, on the stack's scheduler
SIPP_TRANSPORT = {UDP: SippTransport.UDP, TCP: SippTransport.TCP}


@pytest.fixture
def sipp() -> str:
    return sipp_binary()


def assert_all_successful(run: SippRun, calls: int) -> None:
    assert run.passed(calls), run.explain()


@pytest.fixture
async def caller(request: pytest.FixtureRequest) -> AsyncIterator[SippCaller]:
    script = getattr(request, "param", CallerScript())
    async with sipp_caller(script) as running:
        yield running


async def call_sipp(
    sipp: str, caller: SippCaller, scenario: str, workdir: Path, transport: Transport = UDP
) -> tuple[list[OutgoingCall], SippRun]:
    """SIPp as UAS for ``CALLS`` calls of ``scenario``; our calls to it, once each has ended;
    SIPp's verdict once it has exited."""
    server: SippServer = await start_sipp_uas(
        sipp, scenario, workdir, calls=CALLS, transport=SIPP_TRANSPORT[transport]
    )
    try:
        calls = [caller.call(server.port, transport) for _ in range(CALLS)]
        await eventually(
            lambda: all(call.state is OutgoingState.TERMINATED or ended(call) for call in calls),
            what=f"our calls of {scenario} ended",
        )
    except pytest.fail.Exception:
        pytest.fail(f"our calls of {scenario} did not end; {(await server.stop()).explain()}")
    except BaseException:
        await server.stop()
        raise
    return calls, await server.finished()  # it exits after its CALLS calls (or its timeout)


def ended(call: OutgoingCall) -> bool:
    """A confirmed call whose dialog is gone (our BYE sent)."""
    dialog = call.dialog
    return call.state is OutgoingState.CONFIRMED and (
        dialog is not None and dialog.state is DialogState.TERMINATED
    )


@pytest.mark.parametrize("transport", [UDP, TCP])
async def test_sipp_busy_ends_our_call_with_486_acked_by_our_client_transaction(
    sipp: str, caller: SippCaller, tmp_path: Path, transport: Transport
) -> None:
    calls, run = await call_sipp(sipp, caller, "uas_busy", tmp_path, transport)
    assert_all_successful(run, CALLS)  # SIPp's scenario waits for the ACK of its 486
    assert [call.final_status for call in calls] == [486] * CALLS
    assert not any(call.cancel_sent for call in calls)
    assert not caller.dialogs


@pytest.mark.parametrize(
    "caller", [CallerScript(cancel_after_ringing=NO_ANSWER_PATIENCE)], indirect=True
)
async def test_sipp_ringing_without_answer_is_cancelled_by_us_and_ends_with_487(
    sipp: str, caller: SippCaller, tmp_path: Path
) -> None:
    calls, run = await call_sipp(sipp, caller, "uas_no_answer", tmp_path)
    assert_all_successful(run, CALLS)  # it got CANCEL, and the ACK of its 487
    assert (caller.tally.ringing, caller.tally.cancels_scheduled) == (CALLS, CALLS)
    assert [call.final_status for call in calls] == [487] * CALLS
    assert all(call.cancel_sent and call.dialog is not None for call in calls)
    assert not caller.dialogs  # the early dialogs ended with the 487


@pytest.mark.parametrize(
    "caller", [CallerScript(cancel_after_ringing=NO_ANSWER_PATIENCE)], indirect=True
)
@pytest.mark.parametrize("transport", [UDP, TCP])
async def test_sipp_200_after_our_cancel_is_acked_and_ended_with_bye(
    sipp: str, caller: SippCaller, tmp_path: Path, transport: Transport
) -> None:
    calls, run = await call_sipp(sipp, caller, "uas_late_200", tmp_path, transport)
    assert_all_successful(run, CALLS)  # it got CANCEL, then ACK and BYE after its 200
    assert all(call.cancel_sent for call in calls)
    assert [(call.state, call.final_status) for call in calls] == [
        (OutgoingState.TERMINATED, 200)
    ] * CALLS
    await eventually(lambda: caller.tally.byes_answered == CALLS, what="our BYEs answered")
    assert not caller.dialogs


@pytest.mark.parametrize("caller", [CallerScript(reinvite_when_confirmed=True)], indirect=True)
async def test_sipp_reinvite_glare_gets_491_both_ways_and_our_retry_succeeds(
    sipp: str, caller: SippCaller, tmp_path: Path
) -> None:
    calls, run = await call_sipp(sipp, caller, "uas_glare", tmp_path)
    assert_all_successful(run, CALLS)  # it got our 491, our ACK of its 491, retry, BYE
    assert [call.final_status for call in calls] == [200] * CALLS
    assert caller.tally.reinvites_received == CALLS  # SIPp's, each answered 491 by our core
    reinvites = caller.reinvites
    assert [(r.attempts, r.final_status) for r in reinvites] == [(2, 200)] * CALLS
    glare, answered = caller.tally.glare_at, caller.tally.answered_at
    assert set(glare) == set(answered) == set(reinvites)  # SIPp's 491 to each of ours
    # §14.1: we own the Call-ID, so 2.1 to 4 s; the injected draw (0) puts it at 2.1 s
    assert [round(r.retry_at[0] - glare[r], 2) for r in reinvites] == [2.1] * CALLS
    assert all(answered[r] - glare[r] >= 2.1 for r in reinvites)
    await eventually(lambda: caller.tally.byes_answered == CALLS, what="our BYEs answered")
    assert not caller.dialogs


async def test_sipp_call_over_tcp_answered_by_our_application_and_ended_by_its_bye(
    sipp: str, tmp_path: Path
) -> None:
    async with sipp_app(Script()) as app:
        run = await run_sipp(
            sipp, "uac", app.address.port, tmp_path, calls=CALLS, transport=SippTransport.TCP
        )
        assert_all_successful(run, CALLS)
        assert (app.tally.invites, app.tally.answered, app.tally.confirmed) == (CALLS,) * 3
        assert app.tally.byes_received == CALLS
        assert all(call.transaction.peer.transport is TCP for call in app.incoming)
        await eventually(lambda: not app.dialogs)
