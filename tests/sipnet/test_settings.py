"""``network = sip`` in the settings and on the command line."""

from __future__ import annotations

import pytest

from fleet.app_sip import sip_transport_config
from fleet.cli import _parser, _settings
from fleet.config import ConfigError, NetworkKind, load_settings


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


def test_the_sip_network_serves_refer_notify_and_dtmf_info_bodies() -> None:
    sip = load_settings(cli={"network": "sip", "sip_port": 5070, "sip_core": "10.0.0.5"}, env={})
    policy = sip_transport_config(sip).policy
    assert policy is not None and {"REFER", "NOTIFY", "INFO"} <= policy.methods
    assert {"application/dtmf-relay", "application/dtmf"} <= policy.content_types
    plain = load_settings(cli={"sip_port": 5070}, env={})
    plain_policy = sip_transport_config(plain).policy
    assert plain_policy is not None and "REFER" not in plain_policy.methods
