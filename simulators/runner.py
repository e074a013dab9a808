"""Runs a scenario: the engine, the simulated network in virtual time, the routing cache
filled from the configured database, and call records written to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fleet.core.calls.engine import Engine
from fleet.core.model import CallRecord
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import CallEventKind
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from simulators.clock import VirtualTime
from simulators.network import Behaviour, SimulatedNetwork
from simulators.scenario import Scenario, Step


@dataclass
class RunResult:
    records: list[CallRecord] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class _Collect:
    def __init__(self, writer: RecordWriter) -> None:
        self.writer = writer
        self.records: list[CallRecord] = []

    def record(self, record: CallRecord) -> None:
        self.records.append(record)
        self.writer.record(record)


async def run(scenario: Scenario, services: Services, *, policy: NumberPolicy) -> RunResult:
    directory = CachedDirectory(services=services)
    await directory.load_all()
    time = VirtualTime()
    network = SimulatedNetwork(time=time)
    errors: list[str] = []
    collect = _Collect(
        RecordWriter(calls=services.calls, on_error=lambda r, e: errors.append(repr(e)))
    )
    engine = Engine(
        network=network,
        timers=time,
        clock=time,
        directory=directory,
        recorder=collect,
        policy=policy,
        log=explain(network),
    )
    network.attach(engine)
    for line in directory.all_lines():
        network.add(
            line.line.msisdn, line.line.employee_name, behaviour=Behaviour(answer_after=None)
        )
    for fixed in directory.all_fixed():
        network.add(fixed.number, fixed.label, fixed=True, behaviour=Behaviour(answer_after=None))
    for spec in scenario.handsets:
        known = network.handsets.get(spec.number.value)
        name = spec.name or (known.name if known else spec.number.national())
        network.add(
            spec.number,
            name,
            fixed=bool(known and known.fixed),
            behaviour=spec.behaviour,
            state=spec.state,
        )
    for step in scenario.steps:
        time.advance(max(0.0, step.at - time.elapsed))
        _perform(network, step)
    time.advance(max(0.0, scenario.end - time.elapsed))
    for handset in network.handsets.values():
        if handset.legs:
            network.hang_up(handset.number)
    time.run()
    await collect.writer.flush()
    result = RunResult(records=list(collect.records))
    result.failures += errors
    result.timeline = [(entry.at, entry.text) for entry in network.timeline]
    _check(scenario, result)
    return result


def _perform(network: SimulatedNetwork, step: Step) -> None:
    args = step.args
    if step.action == "dial":
        network.dial(args["caller"], args["dialled"])
    elif step.action == "switch":
        network.set_state(args["number"], args["state"])
    elif step.action == "behave":
        network.handset(args["number"]).behaviour = args["behaviour"]
    else:
        network.act(step.action, args["number"])


_WHY: dict[str, Callable[[str, str], str]] = {
    CallEventKind.FORWARDED.value: lambda kind, to: f"forwarding ({kind}) to {to}",
    CallEventKind.LIST_RING.value: lambda kind, to: f"incoming-call list ({kind}) rings {to}",
    CallEventKind.QUEUED.value: lambda kind, to: "caller queued in the group",
    CallEventKind.TRANSFERRED.value: lambda kind, to: f"transfer (#1) towards {to}",
    CallEventKind.CONFERENCE_JOINED.value: lambda kind, to: "joins the conference",
    CallEventKind.CONFERENCE_LEFT.value: lambda kind, to: "leaves the conference",
}


def explain(network: SimulatedNetwork) -> Callable[..., None]:
    """An engine event log that writes the why of each routing decision in the timeline."""

    def log(event: str, **fields: object) -> None:
        if event != "call_event":
            return
        why = _WHY.get(str(fields.get("kind")))
        if why is None:
            return
        detail = fields.get("detail")
        extra = detail if isinstance(detail, dict) else {}
        kind = str(fields.get("forwarding_kind") or extra.get("mode") or extra.get("action") or "")
        to = fields.get("to_number")
        network.say(f"  why: {why(kind, E164(str(to)).national() if to else '')}")

    return log


def _check(scenario: Scenario, result: RunResult) -> None:
    records = sorted(result.records, key=lambda r: (r.offered_at, r.call_id))
    if scenario.expect and len(records) < len(scenario.expect):
        result.failures.append(f"expected {len(scenario.expect)} call(s), got {len(records)}")
        return
    for index, (expected, record) in enumerate(zip(scenario.expect, records, strict=False)):
        if expected.outcome is not None and record.outcome is not expected.outcome:
            got = record.outcome.value if record.outcome else None
            result.failures.append(
                f"call {index + 1}: expected {expected.outcome.value}, got {got}"
            )
        kinds = {e.kind for e in record.events}
        for kind in expected.events:
            if kind not in kinds:
                result.failures.append(f"call {index + 1}: no {kind.value} event")


def render(scenario: Scenario, result: RunResult) -> list[str]:
    out = [f"scenario: {scenario.name}"]
    if scenario.description:
        out.append(f"  {scenario.description}")
    out.append("")
    out += [f"[{at:7.1f}s] {text}" for at, text in result.timeline]
    out.append("")
    out.append("calls:")
    for record in sorted(result.records, key=lambda r: (r.offered_at, r.call_id)):
        caller = E164(record.caller).national() if record.caller.startswith("+") else record.caller
        called = E164(record.called).national() if record.called.startswith("+") else record.called
        took = (
            f", answered after {(record.answered_at - record.offered_at).total_seconds():.0f} s"
            if record.answered_at
            else ""
        )
        out.append(
            f"  {caller} -> {called}: {record.outcome.value if record.outcome else '?'}"
            f" ({record.cause}){took}"
        )
    out.append("")
    out.append("result: " + ("as expected" if result.ok else "; ".join(result.failures)))
    return out
