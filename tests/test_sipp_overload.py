"""Overload control by the calls in setup over loopback UDP, against SIPp (an independent SIP
implementation): a burst of new calls three times the setup window arrives while the calls
admitted wait, unanswered, in setup; the window's worth is admitted, every other call gets the
stateless 503 (SIPp acknowledges it, its ACK absorbed before the layer), and once answered the
admitted calls all complete (200, ACK, SIPp's BYE answered). Counts and conditions only: the
calls are held in setup until the burst has been judged, whatever the machine's speed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fleet.sip.overload import Limits
from fleet.sip.overload_setup import SetupConfig, SetupWindow
from fleet.sip.stack import SipStack
from fleet.sip.transport_types import TransportConfig
from fleet.sip.ua_calls import IncomingState
from fleet.sip.validate import UasPolicy
from tests.polling import eventually
from tests.sip.sipp_app import LOOPBACK, Script, SippApp, sdp
from tests.sip.sipp_runner import run_sipp, sipp_binary

pytestmark = pytest.mark.slow

WINDOW = 5  # calls in setup admitted (the floor: none has left setup yet)
CALLS = 3 * WINDOW
STALE_NEVER = 3600.0  # the held calls count however slow the machine is


@asynccontextmanager
async def guarded_app() -> AsyncIterator[tuple[SippApp, SipStack]]:
    """The UA core on the stack with a setup window of ``WINDOW`` calls; it neither rings nor
    answers until told (its calls stay in setup)."""
    limits = Limits(setup=SetupConfig(floor=WINDOW, stale_after=STALE_NEVER))
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()), limits=limits)
    await stack.start()
    try:
        app = SippApp(stack, Script(ring=False, answer=False))
        stack.attach(app)
        yield app, stack
    finally:
        await stack.stop()


async def test_a_burst_beyond_the_setup_window_is_shed_503_and_every_admitted_call_completes(
    tmp_path: Path,
) -> None:
    sipp = sipp_binary()
    async with guarded_app() as (app, stack):
        guard, shedder = stack.guard, stack.shedder
        assert guard is not None and shedder is not None
        assert isinstance(guard.throttle, SetupWindow)
        burst = asyncio.create_task(
            run_sipp(
                sipp,
                "uac_burst_shed",
                stack.listening[0],
                tmp_path,
                calls=CALLS,
                rate=1000,
                limit=CALLS,
            )
        )
        try:
            await eventually(
                lambda: app.tally.invites == WINDOW and guard.stateless >= CALLS - WINDOW,
                what="the window's calls admitted and the rest of the burst refused",
            )
            held = [call for call in app.incoming if call.state is IncomingState.PROCEEDING]
            assert len(held) == WINDOW and len(stack.layer) >= WINDOW
            for call in held:
                app.answer(call, body=sdp(stack.listening[0] + 2), content_type="application/sdp")
            run = await burst
        finally:
            if not burst.done():
                burst.cancel()
        assert run.passed(CALLS), run.explain()  # every call ended as the scenario allows
        assert app.tally.invites == WINDOW  # no shed call reached the UA
        await eventually(
            lambda: app.tally.byes_received == WINDOW, what="every admitted call ended by BYE"
        )
        assert guard.shed == guard.stateless >= CALLS - WINDOW  # none through a transaction
        assert shedder.absorbed >= CALLS - WINDOW  # the 503s' ACKs, before the layer
