"""What a bulk import carries, whatever its format: the rows a file states (lines, fixed
numbers, call groups, trunks), the faults found in them, and the report of an import.

A value a file does not state is ``None`` here (a column absent from a CSV, a key absent
from a JSON object): the import then leaves it as it is on an existing line, and gives a
new line the default. A value stated blank is the empty string: "none" (no short number, no
e-mail address, no forwarding of that type, no incoming-call list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fleet.core.errors import DomainError
from fleet.core.values import ForwardingKind, ForwardingTarget, Language

if TYPE_CHECKING:
    from fleet.services.fleetio_contacts import ContactSpec
    from fleet.services.fleetio_criteria import CriteriaSpec
    from fleet.services.fleetio_schedules import ScheduleSpec


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Where:
    """Where a row is in the file: its line number (CSV, the header is line 1) or its path
    in the document (JSON, e.g. ``lines[3]``)."""

    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        return str(self.line) if self.line is not None else (self.path or "")


@dataclass(frozen=True, slots=True)
class Fault:
    """A faulty row: where, and the domain error that refuses it (its text is in French
    and English: ``error.message(language)``)."""

    where: Where
    error: DomainError


@dataclass(frozen=True, slots=True)
class ForwardingSpec:
    destination: str  # "" with voicemail
    active: bool = True
    no_reply_timer: int | None = None
    target: ForwardingTarget = ForwardingTarget.NUMBER


@dataclass(frozen=True, slots=True)
class IncomingSpec:
    entries: tuple[str, ...]
    mode: str
    ring_time: int
    active: bool


@dataclass(frozen=True, slots=True)
class LineSpec:
    where: Where
    msisdn: str
    employee_name: str | None = None
    short_number: str | None = None
    email: str | None = None
    language: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # by LINE_SETTINGS name: typed
    # the forwarding types stated; a type mapped to None is stated "none" (erased)
    forwardings: dict[ForwardingKind, ForwardingSpec | None] = field(default_factory=dict)
    incoming: IncomingSpec | None = None
    incoming_stated: bool = False  # False: the list is left as it is
    groups: tuple[str, ...] | None = None  # CSV: the groups the line is a member of
    # the presented number: "line", "main" or a group's name; None: left as it is
    presented: str | None = None


@dataclass(frozen=True, slots=True)
class FixedSpec:
    where: Where
    number: str
    label: str
    trunk: str
    short_number: str | None = None


@dataclass(frozen=True, slots=True)
class MemberSpec:
    msisdn: str
    connected: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    where: Where
    name: str
    number: str
    user_code: str
    admin_code: str
    short_number: str | None = None
    queue_size: int | None = None
    switchover_delay: int | None = None
    intercall_delay: int | None = None
    distribution: str | None = None
    max_queue_wait: int | None = None
    no_answer_action: str | None = None
    no_answer_number: str | None = None
    no_answer_group: str | None = None  # by name
    members: tuple[MemberSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class TrunkSpec:
    """A trunk without its secret (an export never holds one)."""

    where: Where
    name: str
    mode: str | None = None
    host: str | None = None
    port: int | None = None
    transport: str | None = None
    username: str | None = None
    realm: str | None = None
    history: str | None = None


@dataclass(frozen=True, slots=True)
class FleetFile:
    """A decoded file: its rows, and the faults found while reading it."""

    format: Format
    lines: tuple[LineSpec, ...] = ()
    fixed_numbers: tuple[FixedSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    trunks: tuple[TrunkSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()  # JSON only (``fleetio_schedules``)
    criteria: tuple[CriteriaSpec, ...] = ()  # JSON only (``fleetio_criteria``)
    contacts: tuple[ContactSpec, ...] = ()  # JSON only (``fleetio_contacts``)
    main_number: str | None = None  # JSON only, the ``fleet`` section's; None: left as it is
    faults: tuple[Fault, ...] = ()


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class Planned:
    """One change the import makes (or would make, in a preview)."""

    where: Where
    entity: str  # line, forwarding, incoming_list, fixed_number, call_group, members, trunk,
    # schedule, routing_criteria, contact, fleet
    key: str  # what it is about, as the manager knows it (a national number, a name)
    action: Action
    fields: tuple[str, ...] = ()  # the fields changed, for an update


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (``applied``) or would do: the changes, the rows left as they are,
    and every faulty row (then nothing was written)."""

    changes: tuple[Planned, ...]
    unchanged: int
    faults: tuple[Fault, ...]
    applied: bool

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.action is Action.CREATE)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if c.action is Action.UPDATE)


def report_dict(report: ImportReport, language: Language) -> dict[str, Any]:
    """The report as plain data (the API's body, the CLI's JSON), the faults' reasons in
    ``language``."""
    return {
        "applied": report.applied,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "changes": [
            {
                "line": c.where.line,
                "path": c.where.path,
                "entity": c.entity,
                "key": c.key,
                "action": c.action.value,
                "fields": list(c.fields),
            }
            for c in report.changes
        ],
        "faults": [
            {
                "line": f.where.line,
                "path": f.where.path,
                "code": f.error.code.value,
                "field": f.error.field,
                "message": f.error.message(language),
            }
            for f in report.faults
        ],
    }


def storable(document: object) -> bool:
    """No text a database cannot hold: a NUL character, a lone surrogate (``\\ud800``)."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend([*item.keys(), *item.values()])
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode()
            except UnicodeEncodeError:
                return False
    return True
