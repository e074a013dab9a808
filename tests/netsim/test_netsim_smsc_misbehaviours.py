"""The SMSC's misbehaviours switched through netsim's control API, with FleetPBX (``fleetpbx
serve --network sip``) bound to netsim's SMSC: ``drop_connection`` on, FleetPBX's bind is
dropped and each new one too, so a handset's USSD fails ``smsc_not_bound`` (its screen says
so); off, FleetPBX binds again by itself and the same code is answered."""

from __future__ import annotations

import pytest

from tests.netsim.processes import Pair
from tests.netsim.test_netsim_ussd import bound, dial_code
from tests.netsim.ussd_seeded import ussd_line
from tests.polling import eventually

pytestmark = pytest.mark.slow


async def test_a_dropping_smsc_fails_ussd_until_switched_off_then_fleetpbx_binds_again(
    pair: Pair,
) -> None:
    await bound(pair)
    line = ussd_line(72)
    before = await pair.get("/smsc")
    assert before["bound"] is True
    assert before["misbehaviours"] == []
    assert before["port"] == (await pair.get("/healthz"))["smpp"]["port"]
    assert "drop_connection" in before["available"]

    switch = {"name": "drop_connection", "on": True}
    try:
        on = await pair.post("/smsc/misbehaviours", switch, status=200)
        assert on["misbehaviours"] == ["drop_connection"]

        async def dropped() -> bool:
            return not (await pair.get("/smsc"))["bound"]

        await eventually(dropped, within=30, every=0.1, what="FleetPBX's bind dropped")
        failed = await pair.post("/dial", {"from": line, "to": "*#21#"}, status=503)
        assert failed["code"] == "smsc_not_bound"
        screen = (await pair.handset(line))["ussd"]
        assert (screen["dialled"], screen["state"]) == ("*#21#", "failed")
        assert "not bound" in screen["error"]
        assert not (await pair.get("/smsc"))["bound"]  # every new bind dropped as well
    finally:
        off = await pair.post("/smsc/misbehaviours", switch | {"on": False}, status=200)
    assert off["misbehaviours"] == []

    await bound(pair)  # FleetPBX's own reconnection, backing off
    again = await pair.get("/smsc")
    assert again["binds"] > before["binds"]
    answer = (await dial_code(pair, line, "*#21#"))["ussd"]
    assert answer["state"] == "answered"
    assert answer["text"].startswith("Renvoi immédiat : ")


async def test_an_unknown_misbehaviour_is_refused_and_changes_nothing(pair: Pair) -> None:
    await bound(pair)
    before = await pair.get("/smsc")
    refused = await pair.post("/smsc/misbehaviours", {"name": "pigeon", "on": True}, status=400)
    assert refused["code"] == "unknown_misbehaviour"
    assert "drop_connection" in refused["detail"]
    assert (await pair.get("/smsc"))["misbehaviours"] == before["misbehaviours"] == []
