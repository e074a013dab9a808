"""netsim plays the company PBX of the seeded fleet's trunk against ``fleetpbx serve --network
sip``, two processes over real SIP: the trunk ``trunk-siege`` points at an address of this
host (127.0.0.1, a port of its own) with Digest credentials (the trunk key given to both
processes), so netsim listens there as the PBX and its desk ``01 45 67 89 10`` is reached over
the trunk. FleetPBX's OPTIONS come every second (``sip_trunk_options_interval``) and timer F is
6.4 s (``sip_t1`` 0.1 s), so a PBX switched down is out of service within seconds. The trunk's
state is read from the database, where FleetPBX's keepalive writes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fleet.core.trunks import TrunkState
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind
from fleet.services.container import Services
from tests.netsim.processes import Pair, fleetpbx_and_netsim, with_services
from tests.netsim.seeded import ACTOR, line
from tests.netsim.test_netsim_calls import forwarded
from tests.polling import eventually
from tests.ports import free_port
from tests.world import build_world

pytestmark = pytest.mark.slow

DESK = "0145678910"
TRUNK = "trunk-siege"
DEPOT, DEPOT_DESK = "trunk-depot", "0145678920"  # registration mode: the PBX registers
OUTSIDE = "0699000002"
BUSY_LINE, CALLED_LINE = 9, 10  # lines of these tests only (9: busy → the desk)
STATE_WITHIN = 90.0  # the keepalive on a busy machine (1 s rounds, timer F 6.4 s)


async def seed(services: Services, *, pbx_port: int) -> int:
    """The world, its trunk at 127.0.0.1:``pbx_port`` with Digest, line 9's busy forwarding
    to the desk, and a trunk netsim cannot play (in the other fleet: TLS, on this host so that
    FleetPBX's OPTIONS to it stay on this machine)."""
    world = await build_world(services, ACTOR)
    (siege,) = [t for t in await services.trunks.in_fleet(world.fleet.id) if t.trunk.name == TRUNK]
    await services.trunks.update(
        ACTOR,
        siege.trunk.id,
        host="127.0.0.1",
        port=pbx_port,
        username="siege",
        realm="fleetpbx.test",
        secret="s3cret-siege",
    )
    await services.trunks.add(
        ACTOR,
        world.other_fleet.id,
        name="ailleurs",
        host="127.0.0.1",
        port=free_port(),
        transport="tls",
    )
    await services.forwarding.set(
        ACTOR, world.line(BUSY_LINE - 1).id, ForwardingKind.BUSY, destination=DESK
    )
    await services.trunks.add(
        ACTOR,
        world.fleet.id,
        name=DEPOT,
        mode="registration",
        username="depot",
        realm="fleetpbx.test",
        secret="s3cret-depot",
    )
    await services.fleets.add_fixed_number(
        ACTOR, world.fleet.id, number=DEPOT_DESK, label="Dépôt", trunk=DEPOT
    )
    return world.fleet.id


@pytest.fixture(scope="module")
def pbx_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    settings = {
        "FLEETPBX_SIP_TRUNK_SECRET_KEY": Fernet.generate_key().decode(),
        "FLEETPBX_SIP_TRUNK_OPTIONS_INTERVAL": "1",
        "FLEETPBX_SIP_T1": "0.1",
    }
    workdir = tmp_path_factory.mktemp("netsim_pbx")
    fleet = partial(seed, pbx_port=free_port())
    with fleetpbx_and_netsim(workdir, fleet, settings=settings) as started:
        yield started


@pytest.fixture(autouse=True)
async def _pbx_calls_ended(pbx_pair: Pair) -> AsyncIterator[None]:
    yield
    await pbx_pair.post(f"/pbxs/{TRUNK}/state", {"state": "up"})
    await pbx_pair.hang_up_everything()
    await pbx_pair.idle()

    async def pbxs_idle() -> bool:  # no SIP entry left in any PBX either
        shown = (await pbx_pair.get("/pbxs"))["pbxs"]
        return all(p["sip_entries"] == 0 for p in shown)

    await eventually(pbxs_idle, within=60, every=0.1, what="the PBXs idle")


async def trunk_state(pair: Pair, wanted: TrunkState, name: str = TRUNK) -> None:
    """Wait until FleetPBX's keepalive has written ``wanted`` for the trunk."""

    async def wait(services: Services) -> None:
        async def holds() -> bool:
            trunks = await services.trunks.in_fleet(pair.fleet_id)
            return any(t.trunk.name == name and t.trunk.state is wanted for t in trunks)

        what = f"{name} {wanted.value}"
        await eventually(holds, within=STATE_WITHIN, every=0.2, what=what)

    await with_services(pair.database_url, wait)


async def siege(pair: Pair) -> dict[str, Any]:
    shown = await pair.get("/pbxs")
    (found,) = [p for p in shown["pbxs"] if p["trunk"] == TRUNK]
    return found  # type: ignore[no-any-return]


async def test_the_pbxs_are_listed_with_their_desks_and_the_one_netsim_cannot_play(
    pbx_pair: Pair,
) -> None:
    await trunk_state(pbx_pair, TrunkState.IN_SERVICE)
    shown = (await pbx_pair.get("/pbxs"))["pbxs"]
    by_name = {p["trunk"]: p for p in shown}
    played = by_name[TRUNK]
    assert played["played"] is True and played["state"] == "up"
    assert played["desks"] == ["01 45 67 89 10"]
    assert str(played["address"]).startswith("udp:127.0.0.1:")
    assert played["options_answered"] >= 1
    other = by_name["ailleurs"]
    assert other["played"] is False and other["problem"] == "tls_not_played"
    problem = await pbx_pair.post("/pbxs/ailleurs/state", {"state": "down"}, status=409)
    assert problem["code"] == "pbx_not_played"
    problem = await pbx_pair.post(f"/pbxs/{TRUNK}/state", {"state": "sideways"}, status=400)
    assert problem["code"] == "invalid_state"
    problem = await pbx_pair.post("/pbxs/nowhere/state", {"state": "down"}, status=404)
    assert problem["code"] == "unknown_pbx"
    assert (await siege(pbx_pair))["state"] == "up"  # the refusals changed nothing


async def test_a_busy_mobile_forwards_to_the_desk_over_the_trunk_and_the_desk_sees_why(
    pbx_pair: Pair,
) -> None:
    await pbx_pair.post(f"/handsets/{line(BUSY_LINE)}/behaviour", {"answer": "busy"})
    await pbx_pair.post(f"/handsets/{DESK}/behaviour", {"answer": "never"})
    call = await pbx_pair.post("/dial", {"from": OUTSIDE, "to": line(BUSY_LINE)}, status=201)
    desk = await pbx_pair.until_handset(
        DESK, lambda h: h["screen"]["ringing_from"] is not None, "the desk ringing"
    )
    assert desk["kind"] == "fixed"
    assert desk["screen"]["ringing_from"] == "06 99 00 00 02"
    assert desk["screen"]["forwarded_from"] == "06 11 00 00 09"
    assert desk["screen"]["forwarded_why"] == "busy"
    await pbx_pair.post("/answer", {"number": DESK})
    await pbx_pair.until_handset(
        OUTSIDE, lambda h: h["screen"]["in_call_with"] == ["06 11 00 00 09"], "caller in call"
    )
    await pbx_pair.post("/hang_up", {"number": OUTSIDE})
    await pbx_pair.until_handset(DESK, lambda h: not h["legs"], "the desk idle")
    await pbx_pair.idle()
    (record,) = await pbx_pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["busy"]


async def test_a_desk_calls_a_mobiles_short_number_through_the_trunk(pbx_pair: Pair) -> None:
    await pbx_pair.post(f"/handsets/{line(CALLED_LINE)}/behaviour", {"answer": "never"})
    short = f"20{CALLED_LINE:02d}"
    await pbx_pair.post("/dial", {"from": DESK, "to": short}, status=201)
    ringing = await pbx_pair.until_handset(
        line(CALLED_LINE), lambda h: h["screen"]["ringing_from"] is not None, "the line ringing"
    )
    assert ringing["screen"]["ringing_from"] == "01 45 67 89 10"
    await pbx_pair.post("/answer", {"number": line(CALLED_LINE)})
    await pbx_pair.until_handset(
        DESK, lambda h: h["screen"]["in_call_with"] == [short], "the desk in the call"
    )
    await pbx_pair.post("/hang_up", {"number": DESK})
    await pbx_pair.until_handset(line(CALLED_LINE), lambda h: not h["legs"], "the line idle")
    await pbx_pair.idle()

    async def recorded(services: Services) -> None:
        async def written() -> bool:
            page = await services.calls.search(fleet_id=pbx_pair.fleet_id, limit=200)
            return any(
                r.caller == "+33145678910"
                and r.called == "+33611000010"
                and r.outcome is CallOutcome.ANSWERED
                for r in page.items
            )

        await eventually(written, within=60, every=0.2, what="the desk's call recorded")

    await with_services(pbx_pair.database_url, recorded)


async def test_a_pbx_taken_down_is_out_of_service_and_forwarding_to_it_is_not_reachable(
    pbx_pair: Pair,
) -> None:
    await trunk_state(pbx_pair, TrunkState.IN_SERVICE)
    await pbx_pair.post(f"/pbxs/{TRUNK}/state", {"state": "down"})
    assert (await siege(pbx_pair))["state"] == "down"
    await trunk_state(pbx_pair, TrunkState.OUT_OF_SERVICE)
    answered = (await siege(pbx_pair))["options_answered"]
    refused = await pbx_pair.post("/dial", {"from": DESK, "to": "2001"}, status=409)
    assert "down" in refused["detail"]

    await pbx_pair.post(f"/handsets/{line(BUSY_LINE)}/behaviour", {"answer": "busy"})
    call = await pbx_pair.post("/dial", {"from": OUTSIDE, "to": line(BUSY_LINE)}, status=201)
    await pbx_pair.until_handset(OUTSIDE, lambda h: not h["legs"], "the caller released")
    (record,) = await pbx_pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.UNREACHABLE
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["busy"]
    offered = [e.detail or {} for e in record.events if e.kind is CallEventKind.OFFERED]
    assert any(detail.get("trunk_state") == "out_of_service" for detail in offered)
    assert (await pbx_pair.handset(DESK))["legs"] == []  # never rung
    assert (await siege(pbx_pair))["options_answered"] == answered

    await pbx_pair.post(f"/pbxs/{TRUNK}/state", {"state": "up"})
    await trunk_state(pbx_pair, TrunkState.IN_SERVICE)
    assert (await siege(pbx_pair))["options_answered"] > answered


async def test_a_registration_mode_pbx_registers_and_its_desk_is_reached_at_its_contact(
    pbx_pair: Pair,
) -> None:
    await trunk_state(pbx_pair, TrunkState.IN_SERVICE, DEPOT)
    (depot,) = [p for p in (await pbx_pair.get("/pbxs"))["pbxs"] if p["trunk"] == DEPOT]
    assert depot["played"] is True and depot["registration"]["state"] == "registered"
    assert depot["desks"] == ["01 45 67 89 20"]
    await pbx_pair.post(f"/handsets/{DEPOT_DESK}/behaviour", {"answer": "never"})
    caller = line(11)
    await pbx_pair.post("/dial", {"from": caller, "to": DEPOT_DESK}, status=201)
    ringing = await pbx_pair.until_handset(
        DEPOT_DESK, lambda h: h["screen"]["ringing_from"] is not None, "the depot desk ringing"
    )
    assert ringing["screen"]["ringing_from"] == "06 11 00 00 11"
    await pbx_pair.post("/answer", {"number": DEPOT_DESK})
    await pbx_pair.until_handset(
        caller, lambda h: h["screen"]["in_call_with"] == [DEPOT_DESK], "the caller in call"
    )
    await pbx_pair.post("/hang_up", {"number": DEPOT_DESK})
    await pbx_pair.until_handset(caller, lambda h: not h["legs"], "the caller idle")
