"""A scenario's own configuration: changes of the fleet's lines for one run only.

    setup:   # for this run only: the database is not changed
      "06 11 00 00 02": {incoming_list: off}
      "06 11 00 00 01": {clir: on, busy: "01 45 67 89 10"}

Per line: ``incoming_list: on|off``; a forwarding kind (``unconditional``, ``busy``,
``no_reply``, ``not_reachable``) with a number (registered and switched on) or ``off``; a
line setting by name: a switch (``pabx_option``, ``call_waiting``, ``clir``...) ``on`` or
``off``, a choice (``restriction_profile``) one of its values (``national``...). They
are applied to the scenario's routing table as the typed changes the services would
publish (``fleet.core.changes``), never written anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from fleet.core import model
from fleet.core.changes import Change, ForwardingChange, IncomingListChange, LineChange
from fleet.core.errors import DomainError
from fleet.core.linesettings import BY_NAME, LineSetting
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import ForwardingKind

DEFAULT_NO_REPLY_TIMER = 20


class SetupError(ValueError):
    """A setup entry is not valid; the message says which and why."""


@dataclass(frozen=True)
class LineSetup:
    number: E164
    incoming_list: bool | None = None
    forwardings: dict[ForwardingKind, E164 | None] = field(default_factory=dict)  # None: off
    settings: dict[LineSetting[Any], Any] = field(default_factory=dict)


class Configurable(Protocol):
    """A routing table a scenario may change for its run."""

    def by_msisdn(self, number: E164) -> model.LineServices | None: ...

    def apply(self, change: Change) -> bool: ...


def parse(raw: object, *, policy: NumberPolicy, where: str) -> tuple[LineSetup, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise SetupError(f"{where}: setup is a mapping of line numbers to their changes")
    return tuple(
        _line(number, spec, policy, f"{where}: setup {number}") for number, spec in raw.items()
    )


def _line(raw: object, spec: object, policy: NumberPolicy, where: str) -> LineSetup:
    number = policy.classify(str(raw))[1]
    if number is None:
        raise SetupError(f"{where}: not a phone number")
    if not isinstance(spec, dict) or not spec:
        raise SetupError(f"{where}: expected a mapping of changes")
    setup = LineSetup(number=number)
    for key, value in spec.items():
        if key == "incoming_list":
            setup = replace(setup, incoming_list=_switch(value, f"{where}: {key}"))
        elif key in {k.value for k in ForwardingKind}:
            setup.forwardings[ForwardingKind(key)] = _destination(value, policy, f"{where}: {key}")
        elif key in BY_NAME:
            setup.settings[BY_NAME[key]] = _setting(BY_NAME[key], value, f"{where}: {key}")
        else:
            known = ["incoming_list", *(k.value for k in ForwardingKind), *BY_NAME]
            raise SetupError(f"{where}: unknown change {key!r} (one of {', '.join(known)})")
    return setup


def _setting(setting: LineSetting[Any], value: object, where: str) -> Any:
    """A switch on or off; a choice setting one of its values."""
    if setting.switch:
        return _switch(value, where)
    try:
        return setting.parse(value)
    except DomainError:
        raise SetupError(f"{where}: one of {', '.join(str(v) for v in setting.values())}") from None


def _switch(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SetupError(f"{where}: on or off")
    return value


def _destination(value: object, policy: NumberPolicy, where: str) -> E164 | None:
    if value is False:
        return None
    number = policy.classify(str(value))[1] if isinstance(value, str | int) else None
    if number is None:
        raise SetupError(f"{where}: a number to forward to, or off")
    return number


def apply(setups: tuple[LineSetup, ...], table: Configurable) -> None:
    """Apply each line's changes to ``table`` (a ``SetupError`` names a line not found)."""
    for setup in setups:
        current = table.by_msisdn(setup.number)
        if current is None:
            raise SetupError(f"setup {setup.number.national()}: no such line in the fleets")
        for change in _changes(setup, current):
            if not table.apply(change):
                raise SetupError(f"setup {setup.number.national()}: could not apply {change}")


def _changes(setup: LineSetup, current: model.LineServices) -> list[Change]:
    line = current.line
    changes: list[Change] = []
    if setup.settings:
        values = {s.name: v for s, v in setup.settings.items()}
        changed = replace(line, **values)
        changes.append(
            LineChange(fleet_id=line.fleet_id, line_id=line.id, before=line, after=changed)
        )
    if setup.incoming_list is not None:
        plan = current.incoming_list
        if plan is None:
            raise SetupError(f"setup {line.msisdn.national()}: the line has no incoming-call list")
        changes.append(
            IncomingListChange(
                fleet_id=line.fleet_id,
                line_id=line.id,
                before=plan,
                after=replace(plan, active=setup.incoming_list),
            )
        )
    for kind, destination in setup.forwardings.items():
        before = current.forwarding(kind)
        rule: model.Forwarding | None
        if destination is None:
            rule = replace(before, active=False) if before is not None else None
        else:
            timer = (before.no_reply_timer if before else None) or DEFAULT_NO_REPLY_TIMER
            rule = model.Forwarding(
                line_id=line.id,
                kind=kind,
                destination=destination,
                active=True,
                no_reply_timer=timer if kind is ForwardingKind.NO_REPLY else None,
            )
        if rule is not None:
            changes.append(
                ForwardingChange(
                    fleet_id=line.fleet_id, line_id=line.id, kind=kind, before=before, after=rule
                )
            )
    return changes
