"""The shipped scenarios (every example of seed 004) and the scenario format."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet import demo
from fleet.cli import main
from fleet.core.numbering import NumberPolicy
from fleet.core.values import CallOutcome
from fleet.services.container import Services
from simulators import runner
from simulators.scenario import SCENARIOS, ScenarioError, find, load, parse

SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def test_every_example_of_the_seed_has_a_scenario() -> None:
    assert SHIPPED == ["cascade", "conference", "no_reply", "not_reachable", "taxis", "transfer"]


@pytest.mark.parametrize("name", SHIPPED)
async def test_shipped_scenario_runs_as_expected(name: str, services: Services) -> None:
    await demo.ensure_demo(services)
    scenario = load(find(name))
    result = await runner.run(scenario, services, policy=NumberPolicy())
    assert result.ok, result.failures
    assert len(result.records) == len(scenario.expect)
    for record in result.records:  # persisted through the repositories
        assert await services.calls.get(record.call_id) == record
    text = "\n".join(runner.render(scenario, result))
    assert "result: as expected" in text


async def test_a_failed_expectation_is_reported(services: Services) -> None:
    await demo.ensure_demo(services)
    scenario = parse(
        {
            "name": "nobody answers",
            "handsets": {"0699000001": {"name": "Client"}},
            "steps": [{"at": 0, "dial": {"from": "0699000001", "to": "0611000003"}}],
            "expect": [{"outcome": "answered"}],
        },
        policy=NumberPolicy(),
    )
    result = await runner.run(scenario, services, policy=NumberPolicy())
    assert result.records[0].outcome is CallOutcome.NO_ANSWER
    assert result.failures == [
        "call 1: expected answered, got no_answer",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "mapping"),
        ({"steps": []}, "no steps"),
        ({"steps": [{"dial": {"to": "1"}}]}, "'at'"),
        ({"steps": [{"at": 0, "fly": "0611000001"}]}, "one action"),
        (
            {"steps": [{"at": 5, "hang_up": "0611000001"}, {"at": 1, "hang_up": "0611000001"}]},
            "time order",
        ),
        ({"steps": [{"at": 0, "hang_up": "not a number"}]}, "not a phone number"),
        (
            {
                "handsets": {"0611000001": {"state": "flying"}},
                "steps": [{"at": 0, "hang_up": "0611000001"}],
            },
            "not one of",
        ),
        (
            {
                "handsets": {"0611000001": {"answer_afer": 3}},
                "steps": [{"at": 0, "hang_up": "0611000001"}],
            },
            "unknown handset",
        ),
    ],
)
def test_bad_scenarios_are_refused_with_the_reason(data: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse(data, policy=NumberPolicy())


def test_unknown_scenario_names_list_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match="transfer"):
        find("no-such-scenario")


def test_simulate_command_prints_the_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}"
    assert main(["simulate", "no_reply", "--database-url", url, "--log-level", "warning"]) == 0
    out = capsys.readouterr().out
    assert "why: forwarding (no_reply) to 06 11 00 00 07" in out
    assert "result: as expected" in out
    assert main(["simulate", "--list"]) == 0
    assert "transfer" in capsys.readouterr().out
    assert main(["simulate", "nope", "--database-url", url]) == 2
