"""A call-group member switching do-not-disturb off, or lifting its barring of incoming calls
(BAIC, 35), takes a caller waiting in the group's queue at once (the demo's live simulated
network, in real time): the taxi group's three connected drivers, two in DND (or barring
incoming calls) and one in a call, queue the next caller; the first driver coming back rings
with that caller."""

from __future__ import annotations

import pytest

from fleet.app import SERVICES
from fleet.core.linesettings import BAIC, DND, LineSetting
from fleet.core.values import Actor, Channel
from tests.polling import eventually
from tests.test_live_simulator import ClientFactory, _client, handset, seed_demo

ACTOR = Actor(name="dnd-tests", channel=Channel.CLI)


@pytest.mark.parametrize("away", [DND, BAIC], ids=["dnd", "baic"])
async def test_a_member_leaving_dnd_or_lifting_baic_takes_the_caller_waiting_in_the_queue(
    aiohttp_client: ClientFactory, database_url: str, engine: object, away: LineSetting[bool]
) -> None:
    await seed_demo(aiohttp_client, database_url)
    client = await _client(aiohttp_client, database_url)
    lines = client.app[SERVICES].lines
    for number in ("0611000011", "0611000012"):
        driver = await lines.get_by_msisdn(number)
        await lines.update(ACTOR, driver.id, settings={away: True})
    # the third connected driver in a call: the group's only member coming back
    await client.post("/sim/dial", json={"from": "06 99 00 00 05", "to": "06 11 00 00 13"})
    await eventually(lambda: _ringing(client, "06 11 00 00 13"))
    await client.post("/sim/answer", json={"number": "0611000013"})
    # a caller to the group waits in its queue: nobody free, nobody rung
    await client.post("/sim/dial", json={"from": "06 99 00 00 06", "to": "06 11 00 00 99"})
    await eventually(lambda: _in_queue(client, "06 99 00 00 06"))
    assert not (await handset(client, "06 11 00 00 11"))["ringing"]
    await lines.update(ACTOR, (await lines.get_by_msisdn("0611000011")).id, settings={away: False})
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
