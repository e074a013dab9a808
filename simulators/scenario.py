"""Scripted call scenarios (YAML) run against the engine on the simulated network.

A scenario names handsets (behaviour and state), then steps at virtual times:

    name: Monsieur A transfers Madame B to Monsieur C
    handsets:
      "06 99 00 00 01": {name: Madame B, answer_after: 2}
      "06 11 00 00 03": {answer_after: 3}
    steps:
      - {at: 0, dial: {from: "06 99 00 00 01", to: "06 11 00 00 01"}}
      - {at: 4, answer: "06 11 00 00 01"}
      - {at: 10, hold: "06 11 00 00 01"}
      - {at: 11, dial: {from: "06 11 00 00 01", to: "2003"}}
      - {at: 20, transfer: "06 11 00 00 01"}
      - {at: 80, hang_up: "06 11 00 00 03"}
    expect:
      - {outcome: answered, events: [transferred]}

Actions: dial, answer, hang_up, hold, retrieve, transfer, conference, switch (a
handset's state: on, off, out_of_coverage, abroad, white_zone; abroad, ``country: ES`` names
the visited country, without it some foreign one), behave (new behaviour).
A scenario may also change the fleet's configuration for its run only (``setup``, see
``simulators.setup``): the database is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleet.core.countries import Country, country
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import CallEventKind, CallOutcome
from simulators import setup as line_setup
from simulators.handsets import HANDSET_ACTIONS, Behaviour, HandsetState

SCENARIOS = Path(__file__).with_name("scenarios")
ACTIONS = ("dial", *HANDSET_ACTIONS, "switch", "behave")
SWITCH = {"number", "state", "country"}


class ScenarioError(Exception):
    """The scenario file is not valid; the message says where and why."""


@dataclass(frozen=True)
class HandsetSpec:
    number: E164
    name: str | None
    behaviour: Behaviour
    state: HandsetState
    country: Country | None = None  # abroad: the visited country


@dataclass(frozen=True)
class Step:
    at: float
    action: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Expectation:
    outcome: CallOutcome | None
    events: tuple[CallEventKind, ...]
    hidden: bool | None = None  # the callee was (or was not) shown "Numéro masqué"
    answered_within: float | None = None  # seconds from dialling to the answer


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    handsets: tuple[HandsetSpec, ...]
    steps: tuple[Step, ...]
    expect: tuple[Expectation, ...] = field(default=())
    end: float = 600.0
    setup: tuple[line_setup.LineSetup, ...] = field(default=())


def find(name_or_path: str) -> Path:
    """A scenario by file path, or by the name of a shipped one (``transfer``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SCENARIOS / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
    raise ScenarioError(f"no scenario {name_or_path!r} (shipped: {names})")


def load(path: Path, *, policy: NumberPolicy | None = None) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return parse(data, policy=policy or NumberPolicy(), where=str(path))


def _number(raw: object, policy: NumberPolicy, where: str) -> E164:
    number = policy.classify(str(raw))[1]
    if number is None:
        raise ScenarioError(f"{where}: {raw!r} is not a phone number")
    return number


def _enum(kind: type[Any], raw: object, where: str) -> Any:
    try:
        return kind(str(raw))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ScenarioError(f"{where}: {raw!r} is not one of {allowed}") from None


def _country(raw: object, state: HandsetState, where: str) -> Country | None:
    """The visited country of a handset abroad (an ISO alpha-2 code), if named."""
    if raw is None:
        return None
    if state is not HandsetState.ABROAD:
        raise ScenarioError(f"{where}: a country only for a handset abroad")
    try:
        return country(str(raw))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _behaviour(spec: dict[str, Any], where: str) -> Behaviour:
    known = {"answer_after", "reject_after", "already_busy", "name", "state", "country"}
    unknown = set(spec) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown handset setting(s) {sorted(unknown)}")
    answer = spec.get("answer_after")
    reject = spec.get("reject_after")
    for key, value in (("answer_after", answer), ("reject_after", reject)):
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise ScenarioError(f"{where}: {key} must be a number of seconds or null")
    return Behaviour(
        answer_after=answer, reject_after=reject, already_busy=bool(spec.get("already_busy"))
    )


def parse(data: object, *, policy: NumberPolicy, where: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping with name, handsets, steps")
    handsets = []
    for raw, spec in (data.get("handsets") or {}).items():
        spec = spec or {}
        here = f"{where}: handset {raw}"
        if not isinstance(spec, dict):
            raise ScenarioError(f"{here}: expected a mapping")
        handsets.append(
            HandsetSpec(
                number=_number(raw, policy, here),
                name=spec.get("name"),
                behaviour=_behaviour(spec, here),
                state=(state := _enum(HandsetState, spec.get("state", "on"), here)),
                country=_country(spec.get("country"), state, here),
            )
        )
    steps = []
    last = 0.0
    for index, raw_step in enumerate(data.get("steps") or []):
        here = f"{where}: step {index + 1}"
        if not isinstance(raw_step, dict) or "at" not in raw_step:
            raise ScenarioError(f"{here}: each step needs 'at' and one action")
        actions = [key for key in raw_step if key != "at"]
        if len(actions) != 1 or actions[0] not in ACTIONS:
            raise ScenarioError(f"{here}: one action of {', '.join(ACTIONS)} expected")
        at = float(raw_step["at"])
        if at < last:
            raise ScenarioError(f"{here}: steps must be in time order")
        last = at
        steps.append(
            Step(
                at=at, action=actions[0], args=_args(actions[0], raw_step[actions[0]], policy, here)
            )
        )
    if not steps:
        raise ScenarioError(f"{where}: no steps")
    expect = tuple(_expectation(e, f"{where}: expect") for e in (data.get("expect") or []))
    try:
        setups = line_setup.parse(data.get("setup"), policy=policy, where=where)
    except line_setup.SetupError as exc:
        raise ScenarioError(str(exc)) from None
    return Scenario(
        setup=setups,
        name=str(data.get("name") or where),
        description=str(data.get("description") or ""),
        handsets=tuple(handsets),
        steps=tuple(steps),
        expect=expect,
        end=float(data.get("end", max(last + 120.0, 600.0))),
    )


def _expectation(raw: object, where: str) -> Expectation:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: each expectation is a mapping")
    unknown = set(raw) - {"outcome", "events", "hidden", "answered_within"}
    if unknown:
        raise ScenarioError(f"{where}: unknown expectation(s) {sorted(unknown)}")
    hidden = raw.get("hidden")
    within = raw.get("answered_within")
    if hidden is not None and not isinstance(hidden, bool):
        raise ScenarioError(f"{where}: hidden is true or false")
    if within is not None and (not isinstance(within, int | float) or within <= 0):
        raise ScenarioError(f"{where}: answered_within is a number of seconds")
    return Expectation(
        outcome=_enum(CallOutcome, raw["outcome"], where) if "outcome" in raw else None,
        events=tuple(_enum(CallEventKind, k, where) for k in raw.get("events", [])),
        hidden=hidden,
        answered_within=float(within) if within is not None else None,
    )


def _args(action: str, raw: object, policy: NumberPolicy, where: str) -> dict[str, Any]:
    if action == "dial":
        if not isinstance(raw, dict) or "to" not in raw:
            raise ScenarioError(f"{where}: dial needs 'from' (optional) and 'to'")
        caller = raw.get("from")
        return {
            "caller": _number(caller, policy, where) if caller else None,
            "dialled": str(raw["to"]),
        }
    if action == "switch":
        if not isinstance(raw, dict) or not {"number", "state"} <= set(raw) <= SWITCH:
            raise ScenarioError(f"{where}: switch needs 'number' and 'state' ('country')")
        state = _enum(HandsetState, raw["state"], where)
        return {
            "number": _number(raw["number"], policy, where),
            "state": state,
            "country": _country(raw.get("country"), state, where),
        }
    if action == "behave":
        if not isinstance(raw, dict) or "number" not in raw:
            raise ScenarioError(f"{where}: behave needs 'number' and the new behaviour")
        rest = {k: v for k, v in raw.items() if k != "number"}
        return {
            "number": _number(raw["number"], policy, where),
            "behaviour": _behaviour(rest, where),
        }
    return {"number": _number(raw, policy, where)}
