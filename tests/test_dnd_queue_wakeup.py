"""A call-group member switching do-not-disturb off, lifting its barring of incoming calls
(BAIC, 35), or coming home while barring calls when roaming (BAIC-Roam, 351), takes a caller
waiting in the group's queue at once (the demo's live simulated network, in real time): the
taxi group's three connected drivers, two in DND (or barring incoming calls, or roaming with
351) and one in a call, queue the next caller; the first driver coming back rings with that
caller."""

from __future__ import annotations

import pytest

from fleet.app import SERVICES
from fleet.core.linesettings import BAIC, BAIC_ROAM, DND, LineSetting
from fleet.core.values import Actor, Channel
from tests.polling import eventually
from tests.test_live_simulator import ClientFactory, _client, handset, seed_demo

ACTOR = Actor(name="dnd-tests", channel=Channel.CLI)


@pytest.mark.parametrize(
    ("away", "roaming"),
    [(DND, False), (BAIC, False), (BAIC_ROAM, True)],
    ids=["dnd", "baic", "baic_roam"],
)
async def test_a_member_leaving_dnd_lifting_baic_or_home_again_takes_the_caller_waiting(
    aiohttp_client: ClientFactory,
    database_url: str,
    engine: object,
    away: LineSetting[bool],
    roaming: bool,
) -> None:
    await seed_demo(aiohttp_client, database_url)
    client = await _client(aiohttp_client, database_url)
    lines = client.app[SERVICES].lines
    for number in ("0611000011", "0611000012"):
        driver = await lines.get_by_msisdn(number)
        await lines.update(ACTOR, driver.id, settings={away: True})
        if roaming:  # barring calls while roaming, and abroad
            await _set_state(client, number, "abroad")
    # the third connected driver in a call: the group's only member coming back
    await client.post("/sim/dial", json={"from": "06 99 00 00 05", "to": "06 11 00 00 13"})
    await eventually(lambda: _ringing(client, "06 11 00 00 13"))
    await client.post("/sim/answer", json={"number": "0611000013"})
    # a caller to the group waits in its queue: nobody free, nobody rung
    await client.post("/sim/dial", json={"from": "06 99 00 00 06", "to": "06 11 00 00 99"})
    await eventually(lambda: _in_queue(client, "06 99 00 00 06"))
    assert not (await handset(client, "06 11 00 00 11"))["ringing"]
    if roaming:  # the handset comes home, its barring program still on
        await _set_state(client, "0611000011", "on")
    else:
        first = await lines.get_by_msisdn("0611000011")
        await lines.update(ACTOR, first.id, settings={away: False})
    await eventually(lambda: _ringing(client, "06 11 00 00 11"), what="the first driver rung")
    for caller in ("0699000006", "0699000005"):
        await client.post("/sim/hang_up", json={"number": caller})


async def _ringing(client: object, number: str) -> bool:
    return bool((await handset(client, number))["ringing"])  # type: ignore[arg-type]


async def _in_queue(client: object, number: str) -> bool:
    """The caller hears the queue's "please hold"."""
    shown = await (await client.get("/sim/timeline")).json()  # type: ignore[attr-defined]
    heard = f"Extérieur {number} hears 'please_hold'"
    return any(line["text"] == heard for line in shown["timeline"])


async def _set_state(client: object, number: str, state: str) -> None:
    answer = await client.post("/sim/state", json={"number": number, "state": state})  # type: ignore[attr-defined]
    assert answer.status == 200, await answer.text()
