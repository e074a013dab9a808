"""SIPp (an independent SIP implementation) as UAC against a small application on our stack
(:mod:`tests.sip.sipp_app`): each scenario of ``tests/sipp/`` must end with every call
successful in SIPp's own judgement (exit code 0, its statistics counting them), and the
application must have seen what the scenario did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.sip.ua_calls import IncomingState
from tests.polling import eventually
from tests.sip.sipp_app import Script, SippApp, sipp_app
from tests.sip.sipp_runner import SippRun, run_sipp, sipp_binary

pytestmark = pytest.mark.slow

CALLS = 3


@pytest.fixture
def sipp() -> str:
    return sipp_binary()


def assert_all_successful(run: SippRun, calls: int) -> None:
    assert run.passed(calls), run.explain()


@pytest.fixture
async def app(request: pytest.FixtureRequest) -> AsyncIterator[SippApp]:
    script = getattr(request, "param", Script())
    async with sipp_app(script) as running:
        yield running


def port_of(app: SippApp) -> int:
    return app.address.port


async def test_sipp_call_answered_with_180_then_200_and_ended_by_its_bye(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    run = await run_sipp(sipp, "uac", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert (app.tally.invites, app.tally.answered, app.tally.confirmed) == (CALLS, CALLS, CALLS)
    assert app.tally.byes_received == CALLS
    await eventually(lambda: not app.dialogs)


async def test_sipp_options_answered_with_allow_accept_and_supported(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    run = await run_sipp(sipp, "options", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert app.tally.options == CALLS
    assert app.tally.invites == 0


@pytest.mark.parametrize("app", [Script(hang_up_after=0.2)], indirect=True)
async def test_sipp_call_ended_by_the_applications_bye(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    run = await run_sipp(sipp, "uas_bye", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert (app.tally.confirmed, app.tally.hung_up, app.tally.byes_received) == (CALLS, CALLS, 0)
    await eventually(lambda: not app.dialogs)


@pytest.mark.parametrize("app", [Script(ring=False, answer=False)], indirect=True)
async def test_sipp_cancel_before_ringing_gets_200_and_487(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    run = await run_sipp(sipp, "cancel_before_180", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert [call.state for call in app.incoming] == [IncomingState.CANCELLED] * CALLS
    assert [call.final_status for call in app.incoming] == [487] * CALLS


@pytest.mark.parametrize("app", [Script(ring=True, answer=False)], indirect=True)
async def test_sipp_cancel_of_a_ringing_call_gets_200_and_487(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    run = await run_sipp(sipp, "cancel_after_180", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert [call.state for call in app.incoming] == [IncomingState.CANCELLED] * CALLS
    assert not app.dialogs  # the early dialogs ended with the 487


async def test_sipp_hold_and_retrieve_by_reinvite(sipp: str, app: SippApp, tmp_path: Path) -> None:
    run = await run_sipp(sipp, "reinvite_hold", port_of(app), tmp_path, calls=CALLS)
    assert_all_successful(run, CALLS)
    assert (app.tally.invites, app.tally.byes_received) == (CALLS, CALLS)
    await eventually(lambda: not app.dialogs)


@pytest.mark.parametrize("app", [Script(digest=True)], indirect=True)
async def test_sipp_invite_answers_a_digest_challenge_and_connects(
    sipp: str, app: SippApp, tmp_path: Path
) -> None:
    port = port_of(app)
    # SIPp's digest uri is remote_ip:remote_port unless told: ours must be the Request-URI
    auth_uri = ("-auth_uri", f"fleetpbx@127.0.0.1:{port}")
    run = await run_sipp(sipp, "digest_invite", port, tmp_path, calls=CALLS, extra=auth_uri)
    assert_all_successful(run, CALLS)
    assert (app.tally.challenged, app.tally.answered) == (CALLS, CALLS)
    assert app.tally.byes_received == CALLS
