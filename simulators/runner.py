"""Plays a scenario on the simulated network in virtual time, against an exchange the
composition root built for it (``fleet.exchange.scenarios.play_scenario``), and checks what it
expects; renders the timeline with the why of each routing decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from fleet.core.calls.ports import Directory, Recorder
from fleet.core.changes import Change
from fleet.core.criteria import explain
from fleet.core.dialling import Presentation
from fleet.core.model import CallRecord, FixedNumber, LineServices
from fleet.core.numbering import E164, shown
from fleet.core.values import CallEventKind
from simulators.clock import VirtualTime
from simulators.handsets import Behaviour
from simulators.network import SimulatedNetwork
from simulators.scenario import Scenario, Step


@dataclass
class RunResult:
    records: list[CallRecord] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class Fleets(Directory, Protocol):
    """The routing configuration a scenario runs against (its own copy: a scenario's setup
    changes it), with every number to give a handset."""

    def all_lines(self) -> list[LineServices]: ...

    def all_fixed(self) -> list[FixedNumber]: ...

    def apply(self, change: Change) -> bool: ...


class Collect:
    """The exchange's recorder during a scenario: keeps every record and hands each one
    on to ``then`` (the database's record writer) when given."""

    def __init__(self, then: Recorder | None = None) -> None:
        self.then = then
        self.records: list[CallRecord] = []

    def record(self, record: CallRecord) -> None:
        self.records.append(record)
        if self.then is not None:
            self.then.record(record)


def play(
    scenario: Scenario,
    *,
    directory: Fleets,
    network: SimulatedNetwork,
    time: VirtualTime,
    collected: Collect,
) -> RunResult:
    """Play ``scenario`` on ``network`` (every line and fixed number of ``directory`` gets a
    handset that does not answer unless the scenario says so); ``collected`` is the
    recorder of the exchange the network is attached to."""
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
        network.handset(spec.number).country = spec.country
    for step in scenario.steps:
        time.advance(max(0.0, step.at - time.elapsed))
        _perform(network, step)
    time.advance(max(0.0, scenario.end - time.elapsed))
    for handset in network.handsets.values():
        if handset.legs:
            network.hang_up(handset.number)
    time.run()
    result = RunResult(records=list(collected.records))
    result.timeline = [(entry.at, entry.text) for entry in network.timeline]
    _check(scenario, result)
    return result


def _perform(network: SimulatedNetwork, step: Step) -> None:
    args = step.args
    if step.action == "dial":
        network.dial(args["caller"], args["dialled"])
    elif step.action == "switch":
        network.set_state(args["number"], args["state"], country=args["country"])
    elif step.action == "behave":
        network.handset(args["number"]).behaviour = args["behaviour"]
    else:
        network.act(step.action, args["number"])


_WHY: dict[str, Callable[[str, str], str]] = {
    CallEventKind.FORWARDED.value: lambda kind, to: f"forwarding ({kind}) to {to}",
    CallEventKind.LIST_RING.value: lambda kind, to: f"incoming-call list ({kind}) rings {to}",
    CallEventKind.DO_NOT_DISTURB.value: lambda kind, to: f"{to} is in do-not-disturb ({kind})",
    CallEventKind.ABBREVIATED_DIALLED.value: lambda kind, to: f"abbreviated number for {to}",
    CallEventKind.RESTRICTED.value: lambda kind, to: f"{to} refused by the restriction profile",
    CallEventKind.QUEUED.value: lambda kind, to: "caller queued in the group",
    CallEventKind.TRANSFERRED.value: lambda kind, to: f"transfer (#1) towards {to}",
    CallEventKind.CONFERENCE_JOINED.value: lambda kind, to: "joins the conference",
    CallEventKind.CONFERENCE_LEFT.value: lambda kind, to: "leaves the conference",
}


class WhyLog:
    """An engine event log that writes the why of each routing decision in the timeline of
    ``network`` (set once the exchange is built)."""

    def __init__(self) -> None:
        self.network: SimulatedNetwork | None = None

    def __call__(self, event: str, **fields: object) -> None:
        if event != "call_event" or self.network is None:
            return
        detail = fields.get("detail")
        extra = detail if isinstance(detail, dict) else {}
        if fields.get("kind") == CallEventKind.CRITERIA.value:  # the rule that matched
            self.network.say(f"  why: {explain(extra, english=True)}")
            return
        if fields.get("kind") == CallEventKind.RESTRICTED.value and "barring" in extra:
            self.network.say(f"  why: {_barred(fields, extra)}")
            return
        why = _WHY.get(str(fields.get("kind")))
        if why is None:
            return
        kind = str(
            fields.get("forwarding_kind")
            or extra.get("mode")
            or extra.get("action")
            or extra.get("dnd")
            or ""
        )
        to = fields.get("to_number")
        self.network.say(f"  why: {why(kind, shown(str(to)) if to else '')}")


def _barred(fields: dict[str, object], extra: dict[str, object]) -> str:
    """The why of a call barring's refusal: the program, and what it stopped."""
    to = fields.get("to_number")
    # as recorded: E.164, or the digits dialled (a line's own call refused)
    text = f"{shown(str(to)) if to else ''}: call barring {extra['barring']}"
    if extra.get("location"):  # BOIC, BOIC-exHC while roaming: where the line was
        text += f" ({extra['location']})"
    if extra.get("skipped"):
        return f"{text}, not rung"
    if fields.get("forwarding_kind"):
        return f"{text}, forwarding ({fields['forwarding_kind']}) not followed"
    return text


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
        hidden = any(
            (e.detail or {}).get("presentation") == Presentation.RESTRICTED.value
            for e in record.events
            if e.kind is CallEventKind.OFFERED
        )
        if expected.hidden is not None and hidden != expected.hidden:
            shown = "hidden" if hidden else "shown"
            result.failures.append(f"call {index + 1}: the caller's number was {shown}")
        if expected.answered_within is not None:
            took = (
                (record.answered_at - record.offered_at).total_seconds()
                if record.answered_at
                else None
            )
            if took is None or took > expected.answered_within:
                result.failures.append(
                    f"call {index + 1}: not answered within {expected.answered_within:g} s"
                )


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
