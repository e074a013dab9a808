"""``fleetpbx netsim``'s options: where FleetPBX is must be said (or be in the settings), and
a bad value is a configuration error (exit 2) naming it, before anything starts."""

from __future__ import annotations

import pytest

from fleet import cli


@pytest.fixture(autouse=True)
def _no_sip_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLEETPBX_SIP_PORT", "FLEETPBX_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["netsim"], "--fleetpbx host:port"),
        (["netsim", "--fleetpbx", "127.0.0.1:99999"], "--fleetpbx"),
        (["netsim", "--fleetpbx", "127.0.0.1:5060;transport=sctp"], "--fleetpbx"),
        (["netsim", "--fleetpbx", "127.0.0.1:5060", "--reload-every", "-1"], "--reload-every"),
    ],
)
def test_netsim_refuses_a_missing_or_bad_option_with_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    assert said in capsys.readouterr().err
