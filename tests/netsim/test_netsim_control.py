"""netsim's control API and its other roles against ``fleetpbx serve --network sip``: hold
and retrieve relayed end to end, FleetPBX's announcement played by netsim's media server,
the fleets read again on demand, and every bad request answered with a problem document."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from tests.netsim.processes import Pair, with_services
from tests.netsim.seeded import line
from tests.polling import eventually

pytestmark = pytest.mark.slow

ACTOR = Actor(name="netsim-tests", channel=Channel.CLI)


async def remove_line(pair: Pair, msisdn: str) -> None:
    """Delete a line a test added and have netsim read the fleets again: its handset leaves
    (the package's other tests, the load run's among them, see only the seeded lines, which
    FleetPBX on SQLite knows since its start)."""

    async def remove(services: Services) -> None:
        added = await services.lines.get_by_msisdn(msisdn)
        await services.lines.delete(ACTOR, added.id)

    await with_services(pair.database_url, remove)
    left = (await pair.post("/reload", {}))["left"]
    # on PostgreSQL netsim may have followed the change already (NOTIFY): nothing left to drop
    assert left in ((0, 1) if pair.database_url.startswith("postgresql") else (1,))
    shown = await pair.get("/handsets?kind=line")
    assert "+33" + msisdn[1:] not in [h["e164"] for h in shown["handsets"]]


def leg_of(call: dict[str, Any], handset: str) -> dict[str, Any]:
    (leg,) = [leg for leg in call["legs"] if leg.get("handset") == handset]
    found: dict[str, Any] = leg
    return found


async def test_a_held_colleague_sees_the_hold_and_its_end(pair: Pair) -> None:
    call = await pair.post("/dial", {"from": line(9), "to": "2010"}, status=201)
    await pair.until_handset(
        line(10), lambda h: h["screen"]["in_call_with"] == ["06 11 00 00 09"], "10 answers"
    )
    await pair.until_handset(  # the caller's handset has its 200 OK a moment after 10 answers
        line(9), lambda h: h["screen"]["in_call_with"] == ["2010"], "9 in the call"
    )
    await pair.post("/hold", {"number": line(9)})
    held = await pair.until_handset(line(10), lambda h: bool(h["screen"]["held"]), "10 held")
    assert held["screen"]["held"] == ["06 11 00 00 09"]
    await pair.until_handset(  # the one who holds, once the hold is answered
        line(9), lambda h: h["screen"]["held"] == ["2010"], "9 holding"
    )
    await pair.post("/retrieve", {"number": line(9)})
    await pair.until_handset(line(10), lambda h: not h["screen"]["held"], "10 retrieved")
    calls = await pair.get("/calls")
    (shown,) = [c for c in calls["calls"] if c["icid"] == call["icid"]]
    assert leg_of(shown, "06 11 00 00 10")["state"] == "answered"
    await pair.post("/hang_up", {"number": line(10)})
    await pair.idle()


async def test_an_unknown_short_number_hears_the_announcement_from_the_media_server(
    pair: Pair,
) -> None:
    call = await pair.post("/dial", {"from": line(11), "to": "2999"}, status=201)
    await pair.idle()
    ended = await pair.get("/calls?ended=1")
    (shown,) = [c for c in ended["ended"] if c["icid"] == call["icid"]]
    assert leg_of(shown, "06 11 00 00 11")["cause"] == 404
    media = await pair.get("/media")
    prompts = [p["prompt"] for p in media["played"]]
    assert "file:///announcements/number_unknown.wav" in prompts
    assert not any(p["playing"] for p in media["played"])  # BYE after its duration


async def test_a_line_added_to_the_fleet_gets_a_handset_on_reload(pair: Pair) -> None:
    assert (await pair.post("/reload", {}))["added"] == 0

    async def add(services: Services) -> None:
        await services.lines.create(
            ACTOR, pair.fleet_id, msisdn="0611000070", short_number="2070", employee_name="Neuf"
        )

    await with_services(pair.database_url, add)
    added = (await pair.post("/reload", {}))["added"]
    # on PostgreSQL netsim may have followed the change already (NOTIFY): nothing left to add
    assert added in ((0, 1) if pair.database_url.startswith("postgresql") else (1,))
    shown = await pair.handset("0611000070")
    assert (shown["kind"], shown["name"], shown["short_number"]) == ("line", "Neuf", "2070")
    call = await pair.post("/dial", {"from": "0699000002", "to": "06 11 00 00 70"}, status=201)
    await pair.until_handset(
        "0611000070", lambda h: h["screen"]["in_call_with"] == ["06 99 00 00 02"], "answered"
    )
    calls = await pair.get("/calls")
    (shown,) = [c for c in calls["calls"] if c["icid"] == call["icid"]]
    # the filter criteria now send calls to the new line through FleetPBX (terminating)
    assert [leg["kind"] for leg in shown["legs"]] == ["handset", "sip_out", "sip_in", "handset"]
    await pair.post("/hang_up", {"number": "0699000002"})
    await pair.idle()
    await remove_line(pair, "0611000070")


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/dial", {"from": line(12)}, 400, "missing_field"),
        ("/dial", {"from": line(12), "to": "not a number"}, 400, "invalid_number"),
        ("/dial", {"from": "0699000003", "to": "2001"}, 400, "invalid_number"),  # outside: short
        ("/dial", {"from": "12", "to": "0611000001"}, 400, "invalid_number"),
        (f"/handsets/{line(12)}/state", {"state": "asleep"}, 400, "invalid_state"),
        (f"/handsets/{line(12)}/state", {"state": "on", "country": "ES"}, 400, "invalid_country"),
        (f"/handsets/{line(12)}/state", {"state": "abroad", "country": "XX"}, 400,
         "invalid_country"),
        (f"/handsets/{line(12)}/behaviour", {"answer": "maybe"}, 400, "invalid_behaviour"),
        (f"/handsets/{line(12)}/behaviour", {"answer": "after", "seconds": -1}, 400,
         "invalid_behaviour"),
        ("/answer", {"number": line(12)}, 409, "no_call"),
        ("/hold", {"number": line(12)}, 409, "no_call"),
        ("/answer", {"number": "0611009999"}, 404, "unknown_handset"),
    ],
)  # fmt: skip
async def test_a_bad_request_gets_a_problem_document_and_changes_nothing(
    pair: Pair, path: str, body: dict[str, object], status: int, code: str
) -> None:
    before = await pair.handset(line(12))
    answer = await pair.post(path, body, status=status)
    assert answer["code"] == code
    assert await pair.handset(line(12)) == before


async def test_a_switched_off_handset_cannot_dial(pair: Pair) -> None:
    await pair.post("/handsets/0699000004/state", {"state": "off"})
    answer = await pair.post("/dial", {"from": "0699000004", "to": line(1)}, status=409)
    assert answer["code"] == "handset_unreachable"
    assert (await pair.get("/healthz"))["calls"] == 0


async def test_on_postgresql_netsim_follows_a_line_added_elsewhere_without_being_asked(
    pair: Pair,
) -> None:
    if not pair.database_url.startswith("postgresql"):
        pytest.skip("change notifications between processes are PostgreSQL's (NOTIFY)")

    async def add(services: Services) -> None:
        await services.lines.create(
            ACTOR, pair.fleet_id, msisdn="0611000075", short_number="2075", employee_name="Vu"
        )

    await with_services(pair.database_url, add)  # committed here, announced to the others

    async def known() -> bool:
        shown = await pair.get("/handsets?kind=line")
        return "06 11 00 00 75" in [h["number"] for h in shown["handsets"]]

    await eventually(known, within=60, every=0.1, what="netsim told of the new line")
    assert (await pair.handset("0611000075"))["name"] == "Vu"
    await remove_line(pair, "0611000075")
