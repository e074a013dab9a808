"""``fleetpbx netsim --load``'s options: a traffic model that cannot be played is a
configuration error (exit 2) naming the parameter, before anything starts; the options read as
the model's values."""

from __future__ import annotations

import argparse

import pytest

from fleet import cli
from simulators.netsim.load_args import add_load_arguments
from simulators.netsim.load_control import load_options_of
from simulators.netsim.load_model import TrafficModel

NETSIM = ["netsim", "--fleetpbx", "127.0.0.1:5060", "--load"]


@pytest.fixture(autouse=True)
def _no_sip_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLEETPBX_SIP_PORT", "FLEETPBX_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--load-calls", "0"], "calls_per_line_hour must be more than zero"),
        (["--load-holding", "-5"], "holding_seconds"),
        (["--load-compression", "0"], "compression"),
        (["--load-group-share", "0.8", "--load-outside-share", "0.5"], "at most 1"),
        (["--load-feature-share", "2"], "feature_code_share"),
    ],
)
def test_netsim_refuses_a_load_that_cannot_be_played_with_exit_2(
    options: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([*NETSIM, *options]) == 2
    err = capsys.readouterr().err
    assert "--load" in err and said in err


def test_the_load_options_are_the_models() -> None:
    parser = argparse.ArgumentParser()
    add_load_arguments(parser)
    given = "--load --load-calls 3 --load-holding 90 --load-duration 3600 --load-compression 10"
    args = parser.parse_args([*given.split(), "--load-seed", "7", "--load-outside-share", "0.2"])
    options = load_options_of(args)
    assert options.model == TrafficModel(
        calls_per_line_hour=3,
        holding_seconds=90,
        duration=3600,
        compression=10,
        seed=7,
        outside_share=0.2,
    )
    defaults = load_options_of(parser.parse_args([]))
    assert defaults.model == TrafficModel()
