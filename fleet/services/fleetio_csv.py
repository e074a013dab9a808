"""A fleet's lines as CSV: one row per line, with its short number and services.

Reading: UTF-8 with or without a byte-order mark; the separator (``;`` or ``,``) is the one
the header row uses most; the header names the columns (``COLUMNS``, any order, any case;
only ``msisdn`` is required). Numbers are read as written (national ``0611000001``, spaced
``06 11 00 00 01`` or E.164). Writing: ``;``, UTF-8 with a BOM (spreadsheets then read the
accents), every column, numbers in national format with their leading 0."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import LINE_SETTINGS, LineSetting
from fleet.core.values import ForwardingKind, ForwardingTarget
from fleet.services.fleetio_presented import presented_cell
from fleet.services.fleetio_spec import Fault, FleetFile, Format, ForwardingSpec, LineSpec, Where

BOM = "\ufeff"
GROUP_SEPARATOR = "|"
TRUE = frozenset({"yes", "oui", "true", "vrai", "1", "y", "o", "x"})
FALSE = frozenset({"no", "non", "false", "faux", "0", "n"})
BOOLEAN = "yes / no (oui / non, 1 / 0)"


def forward_column(kind: ForwardingKind) -> str:
    return f"forward_{kind.value}"


def active_column(kind: ForwardingKind) -> str:
    return f"forward_{kind.value}_active"


TIMER = "no_reply_timer"
# a forwarding's cell: the destination's digits, or the line's voicemail (issue 16 item 7)
VOICEMAIL = "voicemail"
VOICEMAIL_WORDS = frozenset({VOICEMAIL, "messagerie"})
COLUMNS: tuple[str, ...] = (
    "msisdn",
    "short_number",
    "employee_name",
    "email",
    "language",
    *(s.name for s in LINE_SETTINGS),
    *(c for k in ForwardingKind for c in (forward_column(k), active_column(k))),
    TIMER,
    "presented",  # line, main or a group's name (fleet/services/fleetio_presented.py)
    "groups",
)


def encode(lines: Sequence[model.LineServices]) -> bytes:
    """The lines as CSV (``;``, UTF-8 with a BOM), in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in lines:
        line = entry.line
        row: list[str] = [
            line.msisdn.national_digits(),
            line.short_number or "",
            line.employee_name,
            line.email or "",
            line.language.value,
            *(_yes(s.of(line)) if s.switch else str(s.of(line)) for s in LINE_SETTINGS),
        ]
        timer = ""
        for kind in ForwardingKind:
            rule = entry.forwarding(kind)
            if rule is None or not rule.registered:
                row += ["", ""]
                continue
            where = VOICEMAIL if rule.destination is None else rule.destination.national_digits()
            row += [where, _yes(rule.active)]
            if kind is ForwardingKind.NO_REPLY and rule.no_reply_timer is not None:
                timer = str(rule.no_reply_timer)
        row.append(timer)
        row.append(presented_cell(entry))
        row.append(GROUP_SEPARATOR.join(sorted(g.group_name for g in entry.groups)))
        writer.writerow(row)
    return (BOM + out.getvalue()).encode("utf-8")


def decode(data: bytes) -> FleetFile:
    """The rows of a CSV file, with every fault found reading it (encoding, columns,
    values that are not of their column's type). Rules are checked by the import."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        error = DomainError(ErrorCode.IMPORT_ENCODING_INVALID, position=exc.start)
        return FleetFile(format=Format.CSV, faults=(Fault(Where(line=line), error),))
    if "\x00" in text:  # no database stores a NUL character
        position = text.index("\x00")
        error = DomainError(ErrorCode.IMPORT_ENCODING_INVALID, position=position)
        line = text[:position].count("\n") + 1
        return FleetFile(format=Format.CSV, faults=(Fault(Where(line=line), error),))
    first = text.split("\n", 1)[0]
    separator = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    faults: list[Fault] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _unreadable(1, exc)
    if not header or not any(h.strip() for h in header):
        error = DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column="msisdn")
        return FleetFile(format=Format.CSV, faults=(Fault(Where(line=1), error),))
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in COLUMNS:
            error = DomainError(
                ErrorCode.IMPORT_COLUMN_UNKNOWN, column=name, allowed=", ".join(COLUMNS)
            )
            faults.append(Fault(Where(line=1), error))
    if "msisdn" not in names:
        faults.append(
            Fault(Where(line=1), DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column="msisdn"))
        )
    if faults:
        return FleetFile(format=Format.CSV, faults=tuple(faults))
    lines: list[LineSpec] = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                detail = f"{len(cells)} / {len(names)}"
                error = DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=detail)
                faults.append(Fault(Where(line=number), error))
                continue
            try:
                lines.append(_row(Where(line=number), dict(zip(names, cells, strict=True))))
            except DomainError as exc:
                faults.append(Fault(Where(line=number), exc))
    except csv.Error as exc:
        return _unreadable(reader.line_num, exc)
    return FleetFile(format=Format.CSV, lines=tuple(lines), faults=tuple(faults))


def _unreadable(line: int, exc: csv.Error) -> FleetFile:
    error = DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=str(exc))
    return FleetFile(format=Format.CSV, faults=(Fault(Where(line=line), error),))


def _row(where: Where, cells: dict[str, str]) -> LineSpec:
    def cell(name: str) -> str | None:
        value = cells.get(name)
        return None if value is None else value.strip()

    settings: dict[str, Any] = {}
    for setting in LINE_SETTINGS:
        raw = cell(setting.name)
        if raw:  # blank: the default for a new line, unchanged for an existing one
            settings[setting.name] = (
                boolean(setting.name, raw) if setting.switch else choice(setting, raw)
            )
    forwardings: dict[ForwardingKind, ForwardingSpec | None] = {}
    for kind in ForwardingKind:
        destination = cell(forward_column(kind))
        if destination is None:
            continue  # the column is absent: this forwarding is left as it is
        if not destination:
            forwardings[kind] = None
            continue
        active = cell(active_column(kind))
        timer = cell(TIMER) if kind is ForwardingKind.NO_REPLY else None
        voicemail = destination.casefold() in VOICEMAIL_WORDS
        forwardings[kind] = ForwardingSpec(
            destination="" if voicemail else destination,
            active=boolean(active_column(kind), active) if active else True,
            no_reply_timer=integer(TIMER, timer) if timer else None,
            target=ForwardingTarget.VOICEMAIL if voicemail else ForwardingTarget.NUMBER,
        )
    groups = cell("groups")
    return LineSpec(
        where=where,
        msisdn=cell("msisdn") or "",
        employee_name=cell("employee_name"),
        short_number=cell("short_number"),
        email=cell("email"),
        language=cell("language"),
        settings=settings,
        forwardings=forwardings,
        groups=None
        if groups is None
        else tuple(g.strip() for g in groups.split(GROUP_SEPARATOR) if g.strip()),
        presented=cell("presented") or None,
    )


def boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise DomainError(
        ErrorCode.IMPORT_VALUE_INVALID, field=name, name=name, value=raw, expected=BOOLEAN
    )


def choice(setting: LineSetting[Any], raw: str) -> Any:
    """A choice setting's value (the enum's value, e.g. ``national``)."""
    try:
        return setting.parse(raw.strip().lower())
    except DomainError:
        expected = " | ".join(str(v) for v in setting.values())
        raise DomainError(
            ErrorCode.IMPORT_VALUE_INVALID,
            field=setting.name,
            name=setting.name,
            value=raw,
            expected=expected,
        ) from None


def integer(name: str, raw: str) -> int:
    value = raw.strip()
    if not value.isdigit() or len(value) > 6:
        raise DomainError(
            ErrorCode.IMPORT_VALUE_INVALID, field=name, name=name, value=raw, expected="integer"
        )
    return int(value)


def _yes(value: bool) -> str:
    return "yes" if value else "no"
