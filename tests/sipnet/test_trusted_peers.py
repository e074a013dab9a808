"""Only the core brings calls in (DESIGN §8, "nobody in"): an INVITE from an address that is
neither a trusted peer (the S-CSCFs; by default what ``sip_core`` resolves to) nor a trunk's
PBX is refused 403 and rings nobody."""

from __future__ import annotations

import pytest

from fleet.app_sip import trusted_peers
from fleet.config import ConfigError, load_settings
from fleet.sip.transport_types import UDP, Peer
from fleet.sipnet.edge import core_peer
from fleet.sipnet.trusted import KNOWN_HOSTS, TrustedPeers
from tests.sipnet.support import SCSCF, answer_after, core

LINE = "+33611000001"
ONLY_THE_SCSCF = TrustedPeers.of([f"{SCSCF.host}/32"])


def test_a_call_from_the_trusted_scscf_rings_the_line() -> None:
    c = core(trusted=ONLY_THE_SCSCF)
    c.answers[LINE] = answer_after(2.0, c.clock)
    call = c.call(LINE)
    c.advance(3)
    assert call.final_status == 200
    assert len(c.b_invites()) == 1


def test_a_call_from_an_untrusted_address_is_refused_403_and_rings_nobody() -> None:
    c = core(trusted=ONLY_THE_SCSCF)
    call = c.call(LINE, caller=c.handsets)  # 192.0.2.2: not the S-CSCF, no trunk
    c.advance(3)
    assert call.final_status == 403
    assert c.b_invites() == []
    assert c.engine.active_calls == 0
    assert c.network.legs == 0


def test_the_trusted_peers_are_the_cores_addresses_unless_configured() -> None:
    settings = load_settings(
        cli={"network": "sip", "sip_port": 5070, "sip_core": "127.0.0.1:5060"}, env={}
    )
    by_default = trusted_peers(settings, core_peer(settings.sip_core))
    assert by_default(Peer(UDP, "127.0.0.1", 5099))
    assert not by_default(Peer(UDP, "10.1.2.3", 5060))
    configured = load_settings(
        cli={
            "network": "sip",
            "sip_port": 5070,
            "sip_core": "127.0.0.1:5060",
            "sip_trusted_peers": "10.1.0.0/16,192.0.2.7",
        },
        env={},
    )
    chosen = trusted_peers(configured, core_peer(configured.sip_core))
    assert chosen(Peer(UDP, "10.1.2.3", 5060)) and chosen(Peer(UDP, "192.0.2.7", 5060))
    assert not chosen(Peer(UDP, "127.0.0.1", 5060))


def test_a_core_name_that_does_not_resolve_stops_the_start_with_the_setting_named() -> None:
    settings = load_settings(
        cli={"network": "sip", "sip_port": 5070, "sip_core": "nowhere.invalid:5060"}, env={}
    )
    with pytest.raises(ConfigError, match="sip_trusted_peers"):
        trusted_peers(settings, core_peer(settings.sip_core))


def test_a_sources_answer_is_remembered_and_the_memory_stays_bounded() -> None:
    trusted = TrustedPeers.of(["192.0.2.0/24"])
    for _ in range(2):  # the second time from what it remembers
        assert trusted(Peer(UDP, "192.0.2.7", 5060))
        assert not trusted(Peer(UDP, "198.51.100.7", 5060))
        assert not trusted(Peer(UDP, "not-an-address", 5060))
    for n in range(KNOWN_HOSTS + 10):
        trusted(Peer(UDP, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", 5060))
    assert len(trusted._known) <= KNOWN_HOSTS
    assert trusted(Peer(UDP, "192.0.2.7", 5060)) and trusted == TrustedPeers.of(["192.0.2.0/24"])
