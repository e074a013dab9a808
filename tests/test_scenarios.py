"""The shipped scenarios (every example of seed 004) and the scenario format."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet import demo
from fleet.cli import main
from fleet.core.calls.ports import GroupTarget
from fleet.core.countries import Country
from fleet.core.numbering import NumberPolicy
from fleet.core.values import CallOutcome
from fleet.exchange.scenarios import play_scenario
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from simulators import runner
from simulators.scenario import SCENARIOS, ScenarioError, find, load, parse
from tests.memory import demo_fleets

SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def _shape(directory: runner.Fleets) -> tuple[object, ...]:
    """A fleet's routing configuration with numbers in place of ids."""
    lines = sorted(
        (
            s.line.msisdn.value,
            s.line.short_number,
            s.line.employee_name,
            s.line.pabx_option,
            s.line.call_waiting,
            s.line.clir,
            tuple((f.kind.value, f.destination, f.active, f.no_reply_timer) for f in s.forwardings),
            (
                s.incoming_list.active,
                s.incoming_list.mode,
                s.incoming_list.ring_time,
                s.incoming_list.entries,
            )
            if s.incoming_list
            else None,
            tuple((g.group_number.value, g.position, g.connected) for g in s.groups),
        )
        for s in directory.all_lines()
    )
    fixed = sorted(
        (f.number.value, f.label, f.trunk, f.short_number) for f in directory.all_fixed()
    )
    numbers = {g.group_number for s in directory.all_lines() for g in s.groups}
    groups = []
    for number in sorted(numbers):
        target = directory.resolve(number)
        assert isinstance(target, GroupTarget)
        group = target.group
        groups.append(
            (
                group.number.value,
                group.name,
                group.short_number,
                group.user_code,
                group.admin_code,
                group.queue_size,
                group.switchover_delay,
                group.intercall_delay,
                group.distribution,
                group.max_queue_wait,
                group.no_answer_action,
                tuple((m.msisdn.value, m.position, m.connected) for m in group.members),
            )
        )
    return tuple(lines), tuple(fixed), tuple(groups)


def test_every_example_of_the_seed_has_a_scenario() -> None:
    assert SHIPPED == [
        "busy",
        "cascade",
        "conference",
        "hidden_number",
        "no_reply",
        "not_reachable",
        "queue",
        "taxis",
        "transfer",
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_runs_as_expected(name: str) -> None:
    scenario = load(find(name))
    result = play_scenario(scenario, demo_fleets().table, policy=NumberPolicy())
    assert result.ok, result.failures
    assert len(result.records) == len(scenario.expect)
    text = "\n".join(runner.render(scenario, result))
    assert "result: as expected" in text


async def test_a_scenario_run_against_the_database_writes_its_call_records(
    services: Services,
) -> None:
    await demo.ensure_demo(services)
    directory = await CachedDirectory.open(services=services)
    errors: list[str] = []
    writer = RecordWriter(calls=services.calls, on_error=lambda r, e: errors.append(repr(e)))
    result = play_scenario(load(find("taxis")), directory, policy=NumberPolicy(), recorder=writer)
    await writer.flush()
    directory.close()
    assert result.ok, result.failures
    assert errors == []
    for record in result.records:
        assert await services.calls.get(record.call_id) == record


async def test_the_demo_fleet_in_memory_is_the_one_the_demo_creates(services: Services) -> None:
    """The scenario tests run on ``tests.memory.demo_fleets``: the same fleet, line by line,
    as ``fleet.demo.ensure_demo`` creates in the database (ids aside)."""
    await demo.ensure_demo(services)
    directory = await CachedDirectory.open(services=services)
    directory.close()
    assert _shape(directory) == _shape(demo_fleets().table)


def test_a_failed_expectation_is_reported() -> None:
    scenario = parse(
        {
            "name": "nobody answers",
            "handsets": {"0699000001": {"name": "Client"}},
            "steps": [{"at": 0, "dial": {"from": "0699000001", "to": "0611000003"}}],
            "expect": [{"outcome": "answered"}],
        },
        policy=NumberPolicy(),
    )
    result = play_scenario(scenario, demo_fleets().table, policy=NumberPolicy())
    assert result.records[0].outcome is CallOutcome.NO_ANSWER
    assert result.failures == [
        "call 1: expected answered, got no_answer",
    ]


def test_a_scenario_puts_a_handset_abroad_in_a_country_where_its_barring_applies() -> None:
    scenario = parse(
        {
            "name": "roaming in Spain with BOIC",
            "setup": {"06 11 00 00 01": {"barring_outgoing_international": True}},
            "handsets": {"06 11 00 00 01": {"state": "abroad", "country": "es"}},
            "steps": [
                {"at": 0, "dial": {"from": "06 11 00 00 01", "to": "+34 912 345 678"}},
                {"at": 10, "dial": {"from": "06 11 00 00 01", "to": "06 99 00 00 01"}},
                {"at": 20, "switch": {"number": "06 11 00 00 01", "state": "abroad"}},
                {"at": 30, "dial": {"from": "06 11 00 00 01", "to": "+34 912 345 678"}},
            ],
            "expect": [
                {"outcome": "unreachable"},
                {"outcome": "rejected", "events": ["restricted"]},
                {"outcome": "rejected", "events": ["restricted"]},
            ],
        },
        policy=NumberPolicy(),
    )
    assert scenario.handsets[0].country == Country("ES")
    result = play_scenario(scenario, demo_fleets().table, policy=NumberPolicy())
    assert result.ok, result.failures
    texts = [text for _, text in result.timeline]
    assert "Monsieur A is now abroad" in texts
    assert "  why: 06 99 00 00 01: call barring 331 (abroad:ES)" in texts
    assert "  why: 912 34 56 78: call barring 331 (abroad)" in texts


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "mapping"),
        (
            {
                "handsets": {"0611000001": {"state": "on", "country": "ES"}},
                "steps": [{"at": 0, "hang_up": "0611000001"}],
            },
            "only for a handset abroad",
        ),
        (
            {
                "handsets": {"0611000001": {"state": "abroad", "country": "XX"}},
                "steps": [{"at": 0, "hang_up": "0611000001"}],
            },
            "no country",
        ),
        (
            {
                "steps": [
                    {"at": 0, "switch": {"number": "0611000001", "state": "off", "country": "ES"}}
                ]
            },
            "only for a handset abroad",
        ),
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
