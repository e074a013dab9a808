"""netsim's PBXs following the trunks, on real sockets of this host (no FleetPBX): a static
trunk at an address of this host is played there (its desks the trunk's fixed numbers); a
trunk netsim cannot play is not, with the reason — not an address of this host, taken
already, TLS, registration mode, no host — and nothing is left listening; a trunk that moves
is opened again at its new address, one removed is closed."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from fleet.core.numbering import NumberPolicy
from fleet.core.trunks import HistoryStyle, Trunk, TrunkMode, TrunkState, TrunkTransport
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, Peer
from simulators.netsim.handset import Behaviour, HandsetKind
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls
from simulators.netsim.pbx import PbxSwitch
from simulators.netsim.pbxs import AmbiguousPbx, PbxNotPlayed, Pbxs, UnknownPbx
from simulators.netsim.scscf import DialRefused
from tests.memory import memory_world
from tests.ports import free_port


def trunk(**changes: object) -> Trunk:
    world = memory_world()
    base = Trunk(
        id=1,
        fleet_id=world.fleet.id,
        name="trunk-siege",
        mode=TrunkMode.STATIC,
        host="127.0.0.1",
        port=free_port(),
        transport=TrunkTransport.UDP,
        username=None,
        realm=None,
        history=HistoryStyle.BOTH,
        state=TrunkState.UNKNOWN,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def no_secret(trunk: Trunk) -> str | None:
    return None


async def a_secret(trunk: Trunk) -> str | None:
    return "s3cret"


@pytest.fixture
async def pbxs() -> AsyncIterator[Pbxs]:
    async for played in playing(no_secret):
        yield played


async def playing(secret_of: Callable[[Trunk], Awaitable[str | None]]) -> AsyncIterator[Pbxs]:
    view = FleetView(memory_world().fleets.table)
    handsets = Handsets(behaviour=Behaviour())
    handsets.sync(view)

    played = Pbxs(
        calls=Calls(now=lambda: 0.0),
        handsets=handsets,
        fleets=lambda: view,
        policy=NumberPolicy(),
        fleetpbx=Peer(UDP, "127.0.0.1", free_port()),
        timers=TimerConfig(),
        secret_of=secret_of,
    )
    try:
        yield played
    finally:
        await played.close()


def bound(port: int) -> bool:
    """Whether something listens on UDP 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


async def test_a_trunk_at_an_address_of_this_host_is_played_there_with_its_desks(
    pbxs: Pbxs,
) -> None:
    siege = trunk()
    await pbxs.sync([siege])
    (shown,) = pbxs.views()
    assert shown["played"] is True and shown["state"] == "up"
    assert shown["address"] == f"udp:127.0.0.1:{siege.port}"
    assert shown["desks"] == ["01 45 67 89 10"]
    assert siege.port is not None and bound(siege.port)
    pbx = pbxs.find("trunk-siege")
    pbxs.set_switch(pbx, PbxSwitch.DOWN)
    assert pbxs.views()[0]["state"] == "down"
    desk = pbxs.handsets.by_number["+33145678910"]
    assert desk.kind is HandsetKind.FIXED
    with pytest.raises(DialRefused, match="down"):
        pbxs.desk_dial(desk, "2001")
    mobile = pbxs.handsets.by_number["+33611000001"]
    assert pbxs.desk_dial(mobile, "2002") is None  # not a desk: the S-CSCF's way


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"host": "192.0.2.99"}, "not_on_this_host"),  # bind refused here: nothing is sent
        ({"transport": TrunkTransport.TLS}, "tls_not_played"),
        (
            {"mode": TrunkMode.REGISTRATION, "host": None, "port": None, "username": "siege"},
            "registration_without_secret",  # netsim cannot read the secret it registers with
        ),
        ({"host": None}, "no_host"),
    ],
)
async def test_a_trunk_netsim_cannot_play_says_why(
    pbxs: Pbxs, changes: dict[str, object], problem: str
) -> None:
    await pbxs.sync([trunk(**changes)])
    (shown,) = pbxs.views()
    assert shown["played"] is False and shown["problem"] == problem
    assert shown["detail"]
    assert pbxs.played == {}
    with pytest.raises(PbxNotPlayed):
        pbxs.find("trunk-siege")


async def test_an_address_taken_already_is_not_played(pbxs: Pbxs) -> None:
    siege = trunk()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", siege.port or 0))
        await pbxs.sync([siege])
    (shown,) = pbxs.views()
    assert shown["problem"] == "address_in_use"
    await pbxs.sync([siege])  # unchanged: not tried again
    assert pbxs.played == {}
    await pbxs.sync([replace(siege, port=free_port())])  # moved: tried again, played
    assert pbxs.views()[0]["played"] is True


async def test_a_moved_trunk_is_opened_again_and_a_removed_one_closed(pbxs: Pbxs) -> None:
    siege = trunk()
    await pbxs.sync([siege])
    pbxs.set_switch(pbxs.find("trunk-siege"), PbxSwitch.DOWN)
    renamed = replace(siege, username="siege", state=TrunkState.IN_SERVICE)
    await pbxs.sync([renamed])  # no new address: the same PBX, still down
    assert pbxs.find("trunk-siege").trunk is renamed
    assert pbxs.views()[0]["state"] == "down"
    moved = replace(siege, port=free_port())
    await pbxs.sync([moved])
    assert siege.port is not None and not bound(siege.port)
    assert moved.port is not None and bound(moved.port)
    assert pbxs.views()[0]["state"] == "up"
    await pbxs.sync([])
    assert pbxs.views() == [] and not bound(moved.port)


async def test_a_name_two_fleets_use_must_say_which_fleet(pbxs: Pbxs) -> None:
    world = memory_world()
    ours = trunk()
    theirs = trunk(id=2, fleet_id=world.other_fleet.id)
    await pbxs.sync([ours, theirs])
    with pytest.raises(AmbiguousPbx):
        pbxs.find("trunk-siege")
    assert pbxs.find("trunk-siege", world.other_fleet.id).trunk == theirs
    with pytest.raises(UnknownPbx):
        pbxs.find("nowhere")


async def test_a_registration_mode_trunk_is_played_on_a_free_port_of_netsims_host() -> None:
    registering = trunk(mode=TrunkMode.REGISTRATION, host=None, port=None, username="siege")
    async for pbxs in playing(a_secret):
        await pbxs.sync([registering])
        (shown,) = pbxs.views()
        assert shown["played"] is True
        transport, host, port = str(shown["address"]).split(":")
        assert (transport, host) == ("udp", "127.0.0.1") and int(port) > 0 and bound(int(port))
        assert isinstance(shown["registration"], dict)  # registering to nobody here
        await pbxs.sync([replace(registering, state=TrunkState.IN_SERVICE)])
        assert pbxs.views()[0]["address"] == shown["address"]  # the same PBX


async def test_once_closed_a_late_reload_opens_nothing(pbxs: Pbxs) -> None:
    siege = trunk()
    await pbxs.sync([siege])
    await pbxs.close()
    assert siege.port is not None and not bound(siege.port)
    await pbxs.sync([siege])
    assert pbxs.played == {} and not bound(siege.port)
