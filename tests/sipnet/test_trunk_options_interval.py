"""``sip_trunk_options_interval``: the seconds between two OPTIONS to each trunk's PBX (30 by
default), from the settings to the keepalive the service runs."""

from __future__ import annotations

import pytest

from fleet.app_sip import build_sip_stack, sip_side
from fleet.config import ConfigError, load_settings
from fleet.core.numbering import NumberPolicy
from fleet.exchange import build_sip_exchange
from fleet.sip.message import Request
from fleet.sip.transport_types import UDP, Peer
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.keepalive import INTERVAL
from fleet.sipnet.onstack import SipSide
from tests.memory import memory_world
from tests.sip.lossy import LossyLink
from tests.sip.virtual import VirtualClock
from tests.sipnet.support import HANDSETS, ClockTime, Records
from tests.sipnet.trunkbook_memory import MemoryTrunkBook, run_now
from tests.sipnet.trunks_fixture import siege


def test_the_interval_is_30_seconds_unless_set_and_must_be_seconds() -> None:
    assert load_settings(env={}).sip_trunk_options_interval == INTERVAL == 30.0
    env = {"FLEETPBX_SIP_TRUNK_OPTIONS_INTERVAL": "2.5"}
    assert load_settings(env=env).sip_trunk_options_interval == 2.5
    for wrong in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match="sip_trunk_options_interval"):
            load_settings(env={"FLEETPBX_SIP_TRUNK_OPTIONS_INTERVAL": wrong})


async def test_the_sip_side_carries_the_interval_from_the_settings() -> None:
    cli: dict[str, object] = {"network": "sip", "sip_port": 0, "sip_core": "10.0.0.5"}
    settings = load_settings(cli=cli | {"sip_trunk_options_interval": 4}, env={})
    stack = build_sip_stack(settings)
    await stack.start()
    try:
        side = sip_side(settings, stack)
    finally:
        await stack.stop()
    assert side.trunk_options_interval == 4.0


def test_the_keepalive_probes_every_interval_the_side_says() -> None:

    clock = VirtualClock()
    world = memory_world()
    book = MemoryTrunkBook()
    book.add(siege(world.fleet.id))
    sent = LossyLink(clock, Peer(UDP, "192.0.2.10", 5060))  # to nobody: probes unanswered
    agent = FleetAgent(clock, sent, Peer(UDP, "192.0.2.10", 5060), "fleetpbx")
    built = build_sip_exchange(
        sip=SipSide(
            agent=agent, core=HANDSETS, trunks=book, spawn=run_now, trunk_options_interval=5
        ),
        time=ClockTime(clock),
        directory=world.fleets.table,
        recorder=Records(),
        policy=NumberPolicy(),
    )
    built.network.trunks.start()
    clock.advance(40)  # the first probe still out until timer F (32 s): rounds skip it
    built.network.trunks.stop()
    assert built.network.trunks.keepalive.rounds == 9  # at 0, 5, … 40 s
    first_sent: dict[str, float] = {}
    for each in sent.sent:
        if isinstance(each.message, Request) and each.message.method == "OPTIONS":
            first_sent.setdefault(each.message.call_id or "", each.at)
    assert sorted(first_sent.values()) == [0.0, 35.0]  # the next round after timer F
