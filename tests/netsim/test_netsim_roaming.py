"""Where a fleet line is, end to end over SIP (``fleetpbx serve --network sip`` and netsim): a
line with BAIC-Roam (351) whose handset is abroad rings for its first call — FleetPBX knows
nothing yet —, its 180 carries its cell (a terminating UE's P-Access-Network-Info, MCC of the
visited country), so the next call is barred with the announcement; back home, FleetPBX knows
it once the handset calls out (its originating INVITE's cell), and calls ring it again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.netsim.processes import Pair
from tests.netsim.seeded import ROAMING_LINE
from tests.polling import eventually

pytestmark = pytest.mark.slow

CALLER = "0699000061"
SOMEONE = "0699000062"
BARRED = "file:///announcements/call_barred.wav"


async def barred_prompts(pair: Pair) -> int:
    media = await pair.get("/media")
    return sum(1 for p in media["played"] if p["prompt"] == BARRED)


async def call_and_hang_up(pair: Pair, caller: str, called: str) -> dict[str, Any]:
    """``caller`` dials; once ``called`` rings (or the call ended), the caller hangs up."""
    call: dict[str, Any] = await pair.post("/dial", {"from": caller, "to": called}, status=201)

    async def settled() -> bool:
        shown = await pair.handset(called)
        ended = await pair.get("/calls?ended=1")
        over = any(c["icid"] == call["icid"] for c in ended["ended"])
        return bool(shown["screen"]["ringing_from"]) or over

    await eventually(settled, within=30, every=0.1, what=f"{called} rung or the call over")
    rang = bool((await pair.handset(called))["screen"]["ringing_from"])
    if rang:
        await pair.post("/hang_up", {"number": caller})
    await pair.idle()
    call["rang"] = rang
    return call


async def test_a_line_ringing_from_abroad_is_barred_next_then_rung_once_seen_home(
    pair: Pair,
) -> None:
    for number in (CALLER, SOMEONE):
        await pair.post(f"/handsets/{number}/state", {"state": "on"})
    await pair.post(f"/handsets/{ROAMING_LINE}/behaviour", {"answer": "never"})
    shown = await pair.post(f"/handsets/{ROAMING_LINE}/state", {"state": "abroad", "country": "DE"})
    assert shown["country"] == "DE"
    heard = await barred_prompts(pair)
    assert (await call_and_hang_up(pair, CALLER, ROAMING_LINE))["rang"], "not known yet"
    assert not (await call_and_hang_up(pair, CALLER, ROAMING_LINE))["rang"]
    assert await barred_prompts(pair) == heard + 1, "the caller heard 'call barred'"
    await pair.post(f"/handsets/{ROAMING_LINE}/state", {"state": "on"})
    assert not (await call_and_hang_up(pair, CALLER, ROAMING_LINE))["rang"], "not seen home yet"
    await pair.post(f"/handsets/{SOMEONE}/behaviour", {"answer": "never"})
    await call_and_hang_up(pair, ROAMING_LINE, SOMEONE)  # its INVITE names a home cell
    assert (await call_and_hang_up(pair, CALLER, ROAMING_LINE))["rang"]
    await pair.post(f"/handsets/{ROAMING_LINE}/behaviour", {"answer": "after", "seconds": 1})
