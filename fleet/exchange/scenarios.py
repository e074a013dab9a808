"""Scenarios (``fleetpbx simulate`` and the tests): the exchange built for one scenario on
the simulated network in virtual time, its setup applied to the routing table first."""

from __future__ import annotations

from fleet.core.calls.ports import Recorder
from fleet.core.numbering import NumberPolicy
from fleet.exchange.build import build_exchange
from simulators import runner, setup
from simulators.clock import VirtualTime
from simulators.scenario import Scenario


def play_scenario(
    scenario: Scenario,
    directory: runner.Fleets,
    *,
    policy: NumberPolicy,
    recorder: Recorder | None = None,
) -> runner.RunResult:
    """Play ``scenario`` against ``directory`` (a routing table of its own: the scenario's
    setup changes it; a ``SetupError`` when the setup names no line of the fleets). Call
    records also go to ``recorder`` (the database's record writer) when given."""
    setup.apply(scenario.setup, directory)
    time = VirtualTime()
    collected = runner.Collect(recorder)
    why = runner.WhyLog()
    exchange = build_exchange(
        time=time, directory=directory, recorder=collected, policy=policy, log=why
    )
    why.network = exchange.network
    return runner.play(
        scenario, directory=directory, network=exchange.network, time=time, collected=collected
    )
