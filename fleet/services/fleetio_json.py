"""The whole configuration of a fleet as one JSON document: schedules, trunks (no secret), fixed
numbers, lines (settings, forwardings, incoming-call lists), call groups with their members,
routing criteria, the directory's contacts (``fleetio_schedules``, ``fleetio_criteria``,
``fleetio_contacts``) and, in ``fleet``, the main number (the rest of ``fleet`` is for
information). Numbers are national. Reading checks the shape (keys, JSON types), each fault
with its path (``lines[3].forwardings[0]``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import LINE_SETTINGS, LineSetting
from fleet.core.numbering import E164
from fleet.core.schedules import Schedule
from fleet.core.values import ForwardingKind, ForwardingTarget
from fleet.services import fleetio_contacts, fleetio_criteria, fleetio_schedules
from fleet.services.fleetio_presented import presented_cell
from fleet.services.fleetio_spec import (
    Fault,
    FixedSpec,
    FleetFile,
    Format,
    ForwardingSpec,
    GroupSpec,
    IncomingSpec,
    LineSpec,
    MemberSpec,
    TrunkSpec,
    Where,
    storable,
)

FORMAT, VERSION = "fleetpbx.fleet", 1
SECTIONS: tuple[str, ...] = ("format", "version", "fleet", "schedules", "trunks", "fixed_numbers")
SECTIONS += ("lines", "groups", "criteria", "contacts")
LINE_KEYS = (
    "msisdn",
    "short_number",
    "employee_name",
    "email",
    "language",
    *(s.name for s in LINE_SETTINGS),
    "forwardings",
    "incoming_list",
    "presented",
)
FORWARDING_KEYS = ("kind", "target", "destination", "active", "no_reply_timer")
LIST_KEYS = ("active", "mode", "ring_time", "entries")
FIXED_KEYS = ("number", "label", "trunk", "short_number")
TRUNK_KEYS = ("name", "mode", "host", "port", "transport", "username", "realm", "history")
GROUP_INTS = ("queue_size", "switchover_delay", "intercall_delay", "max_queue_wait")
GROUP_KEYS = (
    "name",
    "number",
    "short_number",
    "user_code",
    "admin_code",
    *GROUP_INTS,
    "distribution",
    "no_answer_action",
    "no_answer_number",
    "no_answer_group",
    "members",
)


def _digits(number: E164 | None) -> str | None:
    return number.national_digits() if number is not None else None


def encode(
    fleet: model.Fleet,
    *,
    trunks: Sequence[model.TrunkView],
    fixed_numbers: Sequence[model.FixedNumber],
    lines: Sequence[model.LineServices],
    groups: Sequence[model.CallGroup],
    schedules: Sequence[Schedule] = (),
    criteria: Sequence[dict[str, Any]] = (),
    contacts: Sequence[dict[str, Any]] = (),
) -> bytes:
    names = {g.id: g.name for g in groups}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "fleet": {
            "name": fleet.name,
            "short_number_length": fleet.short_number_length,
            "language": fleet.language.value,
            "timezone": fleet.timezone,
            "main_number": _digits(fleet.main_number),
        },
        "schedules": fleetio_schedules.encode(schedules),
        "trunks": [
            {
                "name": t.trunk.name,
                "mode": t.trunk.mode.value,
                "host": t.trunk.host,
                "port": t.trunk.port,
                "transport": t.trunk.transport.value,
                "username": t.trunk.username,
                "realm": t.trunk.realm,
                "history": t.trunk.history.value,
            }
            for t in sorted(trunks, key=lambda t: t.trunk.name)
        ],
        "fixed_numbers": [
            {
                "number": f.number.national_digits(),
                "label": f.label,
                "trunk": f.trunk,
                "short_number": f.short_number,
            }
            for f in sorted(fixed_numbers, key=lambda f: f.number.value)
        ],
        "lines": [_line(entry) for entry in sorted(lines, key=lambda e: e.line.msisdn.value)],
        "groups": [
            {
                "name": g.name,
                "number": g.number.national_digits(),
                "short_number": g.short_number,
                "user_code": g.user_code,
                "admin_code": g.admin_code,
                **{name: getattr(g, name) for name in GROUP_INTS},
                "distribution": g.distribution.value,
                "no_answer_action": g.no_answer_action.value,
                "no_answer_number": _digits(g.no_answer_number),
                "no_answer_group": names.get(g.no_answer_group_id or 0),
                "members": [
                    {"msisdn": m.msisdn.national_digits(), "connected": m.connected}
                    for m in sorted(g.members, key=lambda m: m.position)
                ],
            }
            for g in sorted(groups, key=lambda g: g.name.lower())
        ],
        "criteria": list(criteria),
        "contacts": list(contacts),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _line(entry: model.LineServices) -> dict[str, Any]:
    line, listed = entry.line, entry.incoming_list
    return {
        "msisdn": line.msisdn.national_digits(),
        "short_number": line.short_number,
        "employee_name": line.employee_name,
        "email": line.email,
        "language": line.language.value,
        **{s.name: s.of(line) for s in LINE_SETTINGS},
        "presented": presented_cell(entry),
        "forwardings": [
            {
                "kind": f.kind.value,
                "target": f.target.value,
                "destination": _digits(f.destination),
                "active": f.active,
                "no_reply_timer": f.no_reply_timer,
            }
            for f in sorted(entry.forwardings, key=lambda f: f.kind.value)
            if f.registered
        ],
        "incoming_list": None
        if listed is None
        else {
            "active": listed.active,
            "mode": listed.mode.value,
            "ring_time": listed.ring_time,
            "entries": [n.national_digits() for n in listed.entries],
        },
    }


class _Bad(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(str(fault.error))
        self.fault = fault


class _Object:
    """A JSON object at ``path``, read key by key with its JSON type checked."""

    def __init__(self, value: object, path: str, keys: Sequence[str]) -> None:
        if not isinstance(value, dict):
            raise _Bad(_fault(path, "", value, "object"))
        unknown = sorted(set(value) - set(keys))
        if unknown:
            error = DomainError(
                ErrorCode.IMPORT_COLUMN_UNKNOWN, column=unknown[0], allowed=", ".join(keys)
            )
            raise _Bad(Fault(Where(path=path), error))
        self.value, self.path = value, path

    def get(self, key: str, kind: type, *, required: bool = False, null: bool = True) -> Any:
        if key not in self.value:
            if required:
                error = DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column=key)
                raise _Bad(Fault(Where(path=self.path), error))
            return None
        found = self.value[key]
        if found is None and null and not required:
            return None
        if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
            raise _Bad(_fault(self.path, key, found, kind.__name__))
        return found

    def has(self, key: str) -> bool:
        return key in self.value


def _setting(item: _Object, setting: LineSetting[Any]) -> Any:
    """A setting's value: a JSON boolean for a switch, a string of its values for a choice."""
    if setting.switch:
        return item.get(setting.name, bool)
    raw = item.get(setting.name, str)
    if raw is None:
        return None
    try:
        return setting.parse(raw)
    except DomainError:
        expected = " | ".join(str(v) for v in setting.values())
        raise _Bad(_fault(item.path, setting.name, raw, expected)) from None


def _fault(path: str, key: str, value: object, expected: str) -> Fault:
    shown = json.dumps(value, ensure_ascii=False)[:40]
    error = DomainError(
        ErrorCode.IMPORT_VALUE_INVALID,
        field=key or None,
        name=key or path,
        value=shown,
        expected=expected,
    )
    return Fault(Where(path=path), error)


def decode(data: bytes) -> FleetFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        error = DomainError(ErrorCode.IMPORT_ENCODING_INVALID, position=exc.start)
        return FleetFile(format=Format.JSON, faults=(Fault(Where(path="$"), error),))
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        error = DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=str(exc)[:120])
        return FleetFile(format=Format.JSON, faults=(Fault(Where(path="$"), error),))
    if not storable(document):
        error = DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail="NUL / \\ud800")
        return FleetFile(format=Format.JSON, faults=(Fault(Where(path="$"), error),))
    try:
        top = _Object(document, "$", SECTIONS)
    except _Bad as bad:
        return FleetFile(format=Format.JSON, faults=(bad.fault,))
    faults: list[Fault] = []

    def section(name: str, read: Any) -> tuple[Any, ...]:
        items = top.value.get(name) or []
        if not isinstance(items, list):
            faults.append(_fault("$", name, items, "array"))
            return ()
        found = []
        for index, item in enumerate(items):
            try:
                found.append(read(item, f"{name}[{index}]"))
            except (_Bad, fleetio_schedules.Malformed) as bad:  # contacts' too
                faults.append(bad.fault)
        return tuple(found)

    return FleetFile(
        format=Format.JSON,
        schedules=section("schedules", fleetio_schedules.decode),
        trunks=section("trunks", _trunk),
        fixed_numbers=section("fixed_numbers", _fixed),
        lines=section("lines", _line_spec),
        groups=section("groups", _group),
        criteria=section("criteria", fleetio_criteria.decode),
        contacts=section("contacts", fleetio_contacts.decode),
        main_number=_main_number(top.value.get("fleet"), faults),
        faults=tuple(faults),
    )


def _main_number(fleet: object, faults: list[Fault]) -> str | None:
    """The ``fleet`` section's main number: a number, or null / absent (left as it is)."""
    found = fleet.get("main_number") if isinstance(fleet, dict) else None
    if found is not None and not isinstance(found, str):
        faults.append(_fault("fleet", "main_number", found, "string"))
        return None
    return found or None


def _trunk(value: object, path: str) -> TrunkSpec:
    item = _Object(value, path, TRUNK_KEYS)
    return TrunkSpec(
        where=Where(path=path),
        name=item.get("name", str, required=True),
        **{k: item.get(k, str) for k in ("mode", "host", "transport", "username", "realm")},
        port=item.get("port", int),
        history=item.get("history", str),
    )


def _fixed(value: object, path: str) -> FixedSpec:
    item = _Object(value, path, FIXED_KEYS)
    return FixedSpec(
        where=Where(path=path),
        number=item.get("number", str, required=True),
        label=item.get("label", str, required=True),
        trunk=item.get("trunk", str, required=True),
        short_number=item.get("short_number", str) or "",
    )


def _line_spec(value: object, path: str) -> LineSpec:
    item = _Object(value, path, LINE_KEYS)
    settings = {s.name: _setting(item, s) for s in LINE_SETTINGS}
    forwardings: dict[ForwardingKind, ForwardingSpec | None] = {}
    if item.has("forwardings"):
        forwardings = dict.fromkeys(ForwardingKind)
        rules = item.get("forwardings", list) or []
        for index, raw in enumerate(rules):
            rule = _Object(raw, f"{path}.forwardings[{index}]", FORWARDING_KEYS)
            name = rule.get("kind", str, required=True)
            try:
                kind = ForwardingKind(name)
            except ValueError:
                raise _Bad(_fault(rule.path, "kind", name, "forwarding kind")) from None
            goal = rule.get("target", str) or ForwardingTarget.NUMBER.value
            try:
                target = ForwardingTarget(goal)
            except ValueError:
                raise _Bad(_fault(rule.path, "target", goal, "number or voicemail")) from None
            forwardings[kind] = ForwardingSpec(
                destination=rule.get("destination", str) or "",
                active=rule.get("active", bool) is not False,
                no_reply_timer=rule.get("no_reply_timer", int),
                target=target,
            )
    listed = None
    if item.get("incoming_list", dict) is not None:
        spec = _Object(item.value["incoming_list"], f"{path}.incoming_list", LIST_KEYS)
        entries = spec.get("entries", list) or []
        if not all(isinstance(e, str) for e in entries):
            raise _Bad(_fault(spec.path, "entries", entries, "array of strings"))
        ring_time = spec.get("ring_time", int)
        listed = IncomingSpec(
            entries=tuple(entries),
            mode=spec.get("mode", str) or "simultaneous",
            ring_time=15 if ring_time is None else ring_time,
            active=spec.get("active", bool) is not False,
        )
    return LineSpec(
        where=Where(path=path),
        msisdn=item.get("msisdn", str, required=True),
        employee_name=item.get("employee_name", str),
        short_number=item.get("short_number", str) or ("" if item.has("short_number") else None),
        email=item.get("email", str) or ("" if item.has("email") else None),
        language=item.get("language", str),
        settings={k: v for k, v in settings.items() if v is not None},
        forwardings=forwardings,
        incoming=listed,
        incoming_stated=item.has("incoming_list"),
        presented=item.get("presented", str) or None,
    )


def _group(value: object, path: str) -> GroupSpec:
    item = _Object(value, path, GROUP_KEYS)
    members = []
    for index, raw in enumerate(item.get("members", list) or []):
        member = _Object(raw, f"{path}.members[{index}]", ("msisdn", "connected"))
        members.append(
            MemberSpec(
                msisdn=member.get("msisdn", str, required=True),
                connected=member.get("connected", bool) is True,
            )
        )
    return GroupSpec(
        where=Where(path=path),
        name=item.get("name", str, required=True),
        number=item.get("number", str, required=True),
        user_code=item.get("user_code", str, required=True),
        admin_code=item.get("admin_code", str, required=True),
        short_number=item.get("short_number", str) or "",
        **{name: item.get(name, int) for name in GROUP_INTS},
        distribution=item.get("distribution", str),
        no_answer_action=item.get("no_answer_action", str),
        no_answer_number=item.get("no_answer_number", str),
        no_answer_group=item.get("no_answer_group", str),
        members=tuple(members),
    )
