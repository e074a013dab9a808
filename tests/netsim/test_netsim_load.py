"""A short load run of netsim (``POST /load``, 10 s of traffic; the busy hour is
``bench/netsim_load.py``'s) against ``fleetpbx serve --network sip``, the package's pair of
processes on the seeded fleet (every line set on and answering first; the tests that add a line
delete it again, FleetPBX on SQLite knowing only the lines of its start): attempts placed, each
answered call has its call record in the database (by the ICID netsim gave it), no failure on a
quiet fleet, and the summary's numbers consistent. Counts only: nothing here depends on the
machine's speed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import CallOutcome, SessionCase
from fleet.db.engine import create_engine
from fleet.db.tables_records import CallRecordRow
from tests.netsim.processes import WITHIN, Pair
from tests.polling import eventually

pytestmark = pytest.mark.slow

LOAD = {
    "calls_per_line_hour": 360,  # 14 lines: about 14 attempts in the 10 s (the long run: bench/)
    "holding_seconds": 2,
    "duration": 10,
    "group_share": 0,  # the seeded fleet has no call group
    "outside_share": 0.3,
    "seed": 5,
    "progress_every": 5,
    "give_up_after": WITHIN,
    "drain_seconds": WITHIN,
}


async def quiet(pair: Pair) -> int:
    """Every line's handset on and answering after a second (whatever earlier tests set);
    returns how many lines there are."""
    lines = (await pair.get("/handsets?kind=line"))["handsets"]
    for handset in lines:
        await pair.post(f"/handsets/{handset['number']}/state", {"state": "on"})
        await pair.post(
            f"/handsets/{handset['number']}/behaviour", {"answer": "after", "seconds": 1}
        )
    return len(lines)


async def ended_icids(pair: Pair) -> dict[str, dict[str, Any]]:
    shown = await pair.get("/calls?ended=1")
    return {call["icid"]: call for call in shown["ended"]}


async def originating_records(
    engine: AsyncEngine, icids: set[str]
) -> dict[str, CallOutcome | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                CallRecordRow.correlation_id, CallRecordRow.outcome, CallRecordRow.session_case
            ).where(CallRecordRow.correlation_id.in_(icids))
        )
        return {
            str(icid): outcome
            for icid, outcome, case in rows.all()
            if case is SessionCase.ORIGINATING
        }


async def test_a_short_load_run_on_a_quiet_fleet_answers_its_calls_with_their_records(
    pair: Pair,
) -> None:
    lines = await quiet(pair)
    before = await ended_icids(pair)
    started = await pair.post("/load", LOAD, status=202)
    assert started["state"] == "running" and started["lines"] == lines
    await pair.post("/load", LOAD, status=409)  # one run at a time
    shown: dict[str, Any] = {}

    async def done() -> bool:
        shown.update(await pair.get("/load"))
        return bool(shown["state"] == "done")

    await eventually(done, within=10 + 3 * WITHIN, every=0.5, what="the load run done")
    await pair.idle()
    attempts, answered = shown["attempts"], shown["answered"]
    assert attempts > 0
    assert shown["failed"] == 0 and shown["failed_by_status"] == {}, shown
    assert answered == attempts == shown["completed"]
    assert shown["in_progress"] == 0 and shown["cut_at_end"] == 0 and shown["given_up"] == 0
    assert 1 <= shown["peak_in_progress"] <= attempts
    assert shown["setup_ringing"]["count"] == attempts == shown["setup_answer"]["count"]
    ringing, answer = shown["setup_ringing"], shown["setup_answer"]
    assert 0 < ringing["p50_ms"] <= ringing["p99_ms"] <= ringing["max_ms"]
    assert ringing["p50_ms"] < answer["p50_ms"]  # the callee answers after it rings
    placed = shown["by_kind"]
    assert placed["colleague"] + placed["outside"] == attempts + sum(shown["not_placed"].values())
    # the load's calls, as netsim ended them: the caller's handset leg answered each
    calls = {k: v for k, v in (await ended_icids(pair)).items() if k not in before}
    assert len(calls) == attempts
    assert all(call["legs"][0]["cause"] is None for call in calls.values())
    engine = create_engine(pair.database_url, pool_size=1)
    try:
        records: dict[str, CallOutcome | None] = {}

        async def written() -> bool:
            records.update(await originating_records(engine, set(calls)))
            return len(records) == int(attempts)

        await eventually(written, within=WITHIN, every=0.5, what="the load's call records")
    finally:
        await engine.dispose()
    assert set(records.values()) == {CallOutcome.ANSWERED}


async def test_a_bad_load_is_refused_and_starts_nothing(pair: Pair) -> None:
    before = await pair.get("/healthz")
    bad: list[tuple[dict[str, object], str]] = [
        ({"group_share": 0.7, "outside_share": 0.7}, "invalid_load"),
        ({"compression": 0}, "invalid_load"),
        ({"calls": 3}, "invalid_field"),
        ({"seed": 1.5}, "invalid_field"),
        ({"duration": "long"}, "invalid_field"),
    ]
    for body, code in bad:
        refused = await pair.post("/load", body, status=400)
        assert refused["code"] == code
    assert (await pair.get("/healthz"))["calls"] == before["calls"] == 0
