"""A load run of netsim in virtual time, a user agent playing FleetPBX (it rings at once and
answers after a second, or refuses): the model's attempts placed from the fleet's lines as
dialled digits through the S-CSCF, answered calls hung up after their holding time, setup
times measured at the calling handset, refusals counted by SIP status, callers giving up on a
call that rings too long, feature codes counted as not available without a USSD gateway (or
handed to the hook), the summary's numbers adding up, and nothing left in netsim afterwards."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fleet.sip.ua_calls import IncomingCall
from fleet.sip.ua_core import UserAgent
from simulators.netsim.handset import Handset
from simulators.netsim.handsets import FleetView
from simulators.netsim.load_model import CallKind, TrafficModel
from simulators.netsim.load_runner import FeatureDialler, LoadOptions, LoadRun, RunState
from simulators.netsim.load_summary import NotPlaced
from tests.memory import memory_world
from tests.netsim.virtual_netsim import SDP, Virtual, virtual

QUIET = TrafficModel(calls_per_line_hour=60, holding_seconds=20, duration=600, seed=3)


def answering(v: Virtual, after: float) -> Callable[[UserAgent, IncomingCall], None]:
    def on_invite(ua: UserAgent, call: IncomingCall) -> None:
        ua.ring(call)
        v.clock.call_later(after, lambda: ua.answer(call, body=SDP, content_type="application/sdp"))

    return on_invite


def with_a_group(v: Virtual) -> None:
    world = memory_world()
    lines = [line.id for line in world.lines[:2]]
    world.fleets.add_group(
        world.fleet.id, number="0609182236", name="Com", members=lines, short_number="3001"
    )
    v.netsim.view = FleetView(world.fleets.table)
    v.netsim.handsets.sync(v.netsim.view)


def run(v: Virtual, options: LoadOptions, feature_codes: FeatureDialler | None = None) -> LoadRun:
    done: list[LoadRun] = []
    load = LoadRun(
        netsim=v.netsim,
        scheduler=v.clock,
        options=options,
        feature_codes=feature_codes,
        on_done=done.append,
    )
    load.start()
    v.clock.advance(options.model.wall_seconds + options.drain_seconds + 64)
    assert done == [load] and load.state is RunState.DONE
    assert v.netsim.calls.active == {} and v.netsim.scscf.book.held == 0
    assert v.netsim.scscf.ua.calls_held == 0 and v.fleetpbx.calls_held == 0
    return load


def consistent(shown: dict[str, object]) -> None:
    """The summary's numbers add up."""
    attempts, answered, failed = shown["attempts"], shown["answered"], shown["failed"]
    assert isinstance(attempts, int) and isinstance(answered, int) and isinstance(failed, int)
    assert shown["completed"] == attempts and shown["in_progress"] == 0
    assert answered + failed + int(str(shown["cut_at_end"])) >= attempts
    by_kind = shown["by_kind"]
    not_placed = shown["not_placed"]
    assert isinstance(by_kind, dict) and isinstance(not_placed, dict)
    feature_codes = int(str(shown["feature_codes"]))
    assert sum(by_kind.values()) == attempts + sum(not_placed.values()) + feature_codes
    answer = shown["setup_answer"]
    assert isinstance(answer, dict) and answer["count"] == answered
    peak = shown["peak_in_progress"]
    assert isinstance(peak, int) and (1 <= peak <= attempts or attempts == 0)


def test_a_quiet_fleet_answers_every_call_and_each_is_hung_up_after_its_holding() -> None:
    v = virtual()
    with_a_group(v)
    v.on_invite = answering(v, after=1)
    model = TrafficModel(
        calls_per_line_hour=60, holding_seconds=20, duration=600, group_share=0.2, seed=3
    )
    load = run(v, LoadOptions(model=model, progress_every=30, drain_seconds=600))
    shown = load.view()
    consistent(shown)
    attempts = load.tally.attempts
    assert attempts > 50  # 14 lines × 60 an hour for 10 minutes: 140 expected, some busy
    assert load.tally.answered == attempts and load.tally.failures == 0
    assert load.tally.cut_at_end == 0 and load.tally.given_up == 0
    assert load.tally.late_max == 0  # virtual time: every attempt on time
    assert set(load.tally.kinds) == {"colleague", "group", "outside"}
    # the other fleet's one line has no colleague and no group to call
    assert set(load.tally.not_placed) <= {NotPlaced.NO_DESTINATION}
    ringing, answer = shown["setup_ringing"], shown["setup_answer"]
    assert isinstance(ringing, dict) and isinstance(answer, dict)
    assert ringing["count"] == attempts
    assert answer["p50_ms"] - ringing["p50_ms"] == pytest.approx(1000, abs=1)  # answered after 1 s
    assert len(v.invites()) == attempts  # one originating INVITE each: the fake answers them all
    assert [c.final_status for c in v.received] == [200] * attempts


def test_the_same_seed_places_the_same_calls() -> None:
    views = []
    for _ in range(2):
        v = virtual()
        v.on_invite = answering(v, after=1)
        load = run(v, LoadOptions(model=QUIET))
        views.append((load.view(), [str(i.uri) for i in v.invites()]))
    assert views[0] == views[1]


def test_refusals_are_counted_by_sip_status() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.reject(call, 486)
    load = run(v, LoadOptions(model=QUIET))
    consistent(load.view())
    assert load.tally.attempts > 0 and load.tally.answered == 0
    assert dict(load.tally.failed) == {486: load.tally.attempts}


def test_a_caller_gives_up_on_a_call_that_rings_too_long() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.ring(call)
    load = run(v, LoadOptions(model=QUIET, give_up_after=40, drain_seconds=60))
    consistent(load.view())
    assert load.tally.attempts > 0
    assert load.tally.given_up == load.tally.attempts
    assert dict(load.tally.failed) == {487: load.tally.attempts}
    assert {c.final_status for c in v.received} == {487}  # CANCELled


def test_calls_still_in_progress_when_the_run_ends_are_hung_up_and_counted() -> None:
    v = virtual()
    v.on_invite = answering(v, after=1)
    model = TrafficModel(calls_per_line_hour=60, holding_seconds=3600, duration=600, seed=3)
    load = run(v, LoadOptions(model=model, drain_seconds=5))
    consistent(load.view())
    assert load.tally.cut_at_end > 0 and load.tally.failures == 0
    assert load.tally.answered == load.tally.attempts


def test_feature_codes_are_not_available_without_a_ussd_gateway() -> None:
    v = virtual()
    v.on_invite = answering(v, after=1)
    model = TrafficModel(calls_per_line_hour=60, duration=600, feature_code_share=0.5, seed=3)
    load = run(v, LoadOptions(model=model))
    consistent(load.view())
    unavailable = load.tally.not_placed[NotPlaced.FEATURE_CODES_NOT_AVAILABLE]
    assert unavailable > 0 and load.tally.feature_codes == 0
    assert unavailable <= load.tally.kinds[CallKind.FEATURE_CODE]
    assert load.tally.attempts > 0  # the calls still placed


def test_feature_codes_go_to_the_hook_when_there_is_one() -> None:
    v = virtual()
    v.on_invite = answering(v, after=1)
    dialled: list[tuple[str, str]] = []

    def ussd(handset: Handset, code: str) -> None:
        dialled.append((handset.national, code))

    model = TrafficModel(calls_per_line_hour=60, duration=600, feature_code_share=0.5, seed=3)
    load = run(v, LoadOptions(model=model), feature_codes=ussd)
    consistent(load.view())
    assert dialled and load.tally.feature_codes == len(dialled)
    assert {code for _, code in dialled} == {"*#21#"}
    assert NotPlaced.FEATURE_CODES_NOT_AVAILABLE not in load.tally.not_placed


def test_stopping_a_run_hangs_up_its_calls() -> None:
    v = virtual()
    v.on_invite = answering(v, after=1)
    model = TrafficModel(calls_per_line_hour=60, holding_seconds=3600, duration=3600, seed=3)
    done: list[LoadRun] = []
    load = LoadRun(
        netsim=v.netsim, scheduler=v.clock, options=LoadOptions(model=model), on_done=done.append
    )
    load.start()
    v.clock.advance(300)
    assert load.state is RunState.RUNNING and load.tally.in_progress > 0
    load.stop()
    assert done == [load] and load.tally.in_progress == 0
    attempts = load.tally.attempts
    v.clock.advance(64)
    assert load.tally.attempts == attempts  # no more attempts
    assert v.netsim.calls.active == {} and v.fleetpbx.calls_held == 0
