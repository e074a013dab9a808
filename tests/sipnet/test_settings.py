"""``network = sip`` in the settings and on the command line."""

from __future__ import annotations

import pytest

from fleet.app_sip import build_sip_stack, sip_policy, sip_side, sip_transport_config
from fleet.cli import _parser, _settings
from fleet.config import ConfigError, NetworkKind, load_settings
from fleet.sip.transport_types import TCP, UDP, Peer
from fleet.sipnet.edge import core_peer


def test_the_sip_network_needs_a_sip_port_and_the_cores_address() -> None:
    settings = load_settings(
        cli={"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5:5060;transport=tcp"},
        env={},
    )
    assert settings.network is NetworkKind.SIP
    assert settings.sip_core == "10.0.0.5:5060;transport=tcp"
    with pytest.raises(ConfigError, match="sip_core"):
        load_settings(cli={"network": "sip", "sip_port": 5070}, env={})
    with pytest.raises(ConfigError, match="sip_port"):
        load_settings(cli={"network": "sip", "sip_core": "10.0.0.5"}, env={})


def test_a_malformed_core_address_is_refused() -> None:
    with pytest.raises(ConfigError):
        load_settings(
            cli={"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5:5060;transport=sctp"},
            env={},
        )


def test_serve_takes_the_network_and_the_core_from_its_flags() -> None:
    args = _parser().parse_args(
        ["serve", "--network", "sip", "--sip-port", "5070", "--sip-core", "10.0.0.5:5060"]
    )
    settings = _settings(args)
    assert (settings.network, settings.sip_port, settings.sip_core) == (
        NetworkKind.SIP,
        5070,
        "10.0.0.5:5060",
    )


def test_serve_takes_the_media_server_from_its_flag_with_the_cores_syntax() -> None:
    args = _parser().parse_args(
        [
            "serve",
            "--network",
            "sip",
            "--sip-port",
            "5070",
            "--sip-core",
            "10.0.0.5:5060",
            "--sip-media-server",
            "10.0.0.9:5070;transport=tcp",
        ]
    )
    settings = _settings(args)
    assert settings.sip_media_server == "10.0.0.9:5070;transport=tcp"
    assert core_peer(settings.sip_media_server) == Peer(TCP, "10.0.0.9", 5070)
    with pytest.raises(ConfigError):
        load_settings(cli={"sip_media_server": "10.0.0.9;transport=sctp"}, env={})


async def test_the_sip_side_of_the_service_carries_the_media_server_or_none() -> None:
    for media, expected in ((None, None), ("10.0.0.9:5070", Peer(UDP, "10.0.0.9", 5070))):
        cli: dict[str, object] = {"network": "sip", "sip_port": 0, "sip_core": "10.0.0.5"}
        settings = load_settings(cli=cli | {"sip_media_server": media}, env={})
        stack = build_sip_stack(settings)
        await stack.start()
        try:
            side = sip_side(settings, stack)
        finally:
            await stack.stop()
        assert side.media_server == expected


def test_the_sip_network_serves_register_for_the_trunks_and_the_simulated_one_does_not() -> None:
    sip = load_settings(cli={"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5"}, env={})
    simulated = load_settings(cli={"sip_port": 5070}, env={})
    assert "REGISTER" in sip_policy(sip).methods
    assert "REGISTER" not in sip_policy(simulated).methods


def test_the_sip_network_serves_refer_notify_and_dtmf_info_bodies() -> None:
    sip = load_settings(cli={"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5"}, env={})
    policy = sip_transport_config(sip).policy
    assert policy is not None and {"REFER", "NOTIFY", "INFO"} <= policy.methods
    assert {"application/dtmf-relay", "application/dtmf"} <= policy.content_types
    plain = load_settings(cli={"sip_port": 5070}, env={})
    plain_policy = sip_transport_config(plain).policy
    assert plain_policy is not None and "REFER" not in plain_policy.methods


def test_listening_on_every_address_needs_the_advertised_host() -> None:
    cli: dict[str, object] = {"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5"}
    for wildcard in ("0.0.0.0", "::"):
        with pytest.raises(ConfigError, match="sip_advertised_host"):
            load_settings(cli=cli | {"sip_host": wildcard}, env={})
    settings = load_settings(
        cli=cli | {"sip_host": "0.0.0.0", "sip_advertised_host": "10.20.0.15"}, env={}
    )
    assert sip_transport_config(settings).advertised_host == "10.20.0.15"


async def test_the_agent_writes_the_advertised_host_in_via_and_contact() -> None:
    cli: dict[str, object] = {"network": "sip", "sip_port": 0, "sip_core": "10.0.0.5"}
    settings = load_settings(cli=cli | {"sip_advertised_host": "fleetpbx.example.net"}, env={})
    stack = build_sip_stack(settings)
    await stack.start()
    try:
        side = sip_side(settings, stack)
        call = side.agent.invite_with(
            "tel:+33612345678",
            side.core,
            local_party="<sip:fleetpbx@fleetpbx.example.net>",
            headers=[],
        )
        sent_by = call.invite.headers.get("Via") or ""
        contact = call.invite.headers.get("Contact") or ""
        side.agent.cancel(call)
    finally:
        await stack.stop()
    assert "fleetpbx.example.net" in sent_by
    assert "@fleetpbx.example.net" in contact
    assert "127.0.0.1" not in contact
