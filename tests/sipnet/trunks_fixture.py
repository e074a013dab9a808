"""The trunk of the test fleet's fixed number (``tests.memory``: 01 45 67 89 10 on
``trunk-siege``), at the test PBX, and the exchange with it in its book."""

from __future__ import annotations

from dataclasses import replace

from fleet.core.trunks import HistoryStyle, Trunk, TrunkMode, TrunkState, TrunkTransport
from tests.memory import memory_world
from tests.sipnet.support import PBX, Core, core
from tests.sipnet.trunkbook_memory import MemoryTrunkBook

FIXED = "+33145678910"
SECRET = "s3cret-siege"
REALM = "fleetpbx.example"


def siege(fleet_id: int, **changes: object) -> Trunk:
    trunk = Trunk(
        id=1,
        fleet_id=fleet_id,
        name="trunk-siege",
        mode=TrunkMode.STATIC,
        host=PBX.host,
        port=PBX.port,
        transport=TrunkTransport.UDP,
        username="siege",
        realm=REALM,
        history=HistoryStyle.BOTH,
        state=TrunkState.UNKNOWN,
    )
    return replace(trunk, **changes)  # type: ignore[arg-type]


def with_trunk(*, secret: str | None = SECRET, **changes: object) -> Core:
    """The exchange with the fleet's trunk (``changes`` to it), its keepalive not started."""
    world = memory_world()
    book = MemoryTrunkBook()
    book.add(siege(world.fleet.id, **changes), secret)
    return core(world, book)
