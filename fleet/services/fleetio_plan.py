"""Checking every row of an import against the fleet as it is, before anything is written:
the lines (with their forwardings, incoming-call lists and CSV group memberships), fixed
numbers and trunks. Each row gets every fault found, with the domain error of the rule it
breaks (the same rules as the services: ``fleet.core.rules``, the number policy, the
short-number plan); the call groups are checked by ``fleetio_groups``.

The result is a plan of targets: for each row, what it creates or changes (nothing when it
states what the fleet already has)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from callgroups.rules import MAX_MEMBERS
from fleet.core import rules, trunkrules
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import LINE_SETTINGS, PABX_OPTION
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.numbering import optional_short_number as _short
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkTransport
from fleet.core.values import ForwardingKind, ForwardingTarget
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform
from fleet.db.tables import (
    FixedNumberRow,
    FleetRow,
    GroupRow,
    IncomingListRow,
    LineRow,
    MemberRow,
    TrunkRow,
)
from fleet.db.tables_contacts import ContactRow
from fleet.services import fleetio_presented
from fleet.services.fleetio_presented import PresentedTarget
from fleet.services.fleetio_spec import Fault, FixedSpec, LineSpec, TrunkSpec, Where

T = TypeVar("T")
LINE_FIELDS = ("short_number", "employee_name", "email", "language")
# destination (E.164; None to voicemail), active, timer, target
ForwardingGoal = tuple[str | None, bool, int | None, ForwardingTarget]
ListTarget = tuple[bool, str, int, tuple[str, ...]]  # active, mode, ring time, entries


@dataclass(slots=True)
class LinePlan:
    where: Where
    msisdn: str  # E.164
    row: LineRow | None
    values: dict[str, Any]  # LINE_FIELDS and the settings' names: the line as the file wants
    changed: tuple[str, ...]
    forwardings: dict[ForwardingKind, ForwardingGoal | None] = field(default_factory=dict)
    incoming: ListTarget | None = None  # None: left as it is
    add_groups: list[GroupRow] = field(default_factory=list)
    drop_groups: list[GroupRow] = field(default_factory=list)
    presented: PresentedTarget | None = None  # None: left as it is


@dataclass(slots=True)
class FixedPlan:
    where: Where
    number: str
    row: FixedNumberRow | None
    values: dict[str, Any]
    changed: tuple[str, ...]


@dataclass(slots=True)
class State:
    """The fleet as it is, loaded once for the whole import."""

    fleet: FleetRow
    lines: dict[str, LineRow]  # by MSISDN (E.164)
    fixed: dict[str, FixedNumberRow]
    groups: dict[str, GroupRow]  # by lower-case name
    trunks: dict[str, TrunkRow]
    shorts: dict[str, str]  # short number → the E.164 number (or group name) holding it
    main_number: str | None = None  # the file's main number (fleetio_presented), else the fleet's


async def load_state(session: AsyncSession, fleet: FleetRow) -> State:
    fid = fleet.id
    lines = await session.scalars(
        select(LineRow)
        .where(LineRow.fleet_id == fid)
        .options(
            selectinload(LineRow.forwardings),
            selectinload(LineRow.incoming_list).selectinload(IncomingListRow.entries),
            selectinload(LineRow.memberships),
        )
    )
    groups = await session.scalars(
        select(GroupRow)
        .where(GroupRow.fleet_id == fid)
        .options(selectinload(GroupRow.members).selectinload(MemberRow.line))
    )
    fixed = await session.scalars(select(FixedNumberRow).where(FixedNumberRow.fleet_id == fid))
    trunks = await session.scalars(select(TrunkRow).where(TrunkRow.fleet_id == fid))
    state = State(
        fleet=fleet,
        lines={r.msisdn: r for r in lines.all()},
        fixed={r.number: r for r in fixed.all()},
        groups={r.name.lower(): r for r in groups.all()},
        trunks={r.name: r for r in trunks.all()},
        shorts={},
    )
    for line in state.lines.values():
        if line.short_number:
            state.shorts[line.short_number] = line.msisdn
    for fixed_row in state.fixed.values():
        if fixed_row.short_number:
            state.shorts[fixed_row.short_number] = fixed_row.number
    for group in state.groups.values():
        if group.short_number:
            state.shorts[group.short_number] = group.name.lower()
    abbreviated = await session.scalars(
        select(ContactRow.abbreviated).where(
            ContactRow.fleet_id == fid, ContactRow.abbreviated.is_not(None)
        )
    )
    for short in abbreviated:  # a directory contact's: no line, number or group may take it
        if short:
            state.shorts[short] = f"contact:{short}"
    return state


async def taken_elsewhere(session: AsyncSession, fleet_id: int, numbers: Iterable[str]) -> set[str]:
    """The numbers held by another fleet's line, fixed number or group (any group for a
    line or fixed number: a group's own number is no line's)."""
    wanted = sorted(set(numbers))
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for table, column in (
            (LineRow, LineRow.msisdn),
            (FixedNumberRow, FixedNumberRow.number),
            (GroupRow, GroupRow.number),
        ):
            found = await session.scalars(
                select(column).where(column.in_(chunk), table.fleet_id != fleet_id)
            )
            taken.update(found.all())
    return taken


class Checker:
    """Collects the faults of the rows; ``check`` runs one rule and keeps its error."""

    def __init__(
        self, policy: NumberPolicy, state: State, *, voicemail: VoicemailPlatform = NO_VOICEMAIL
    ) -> None:
        self.policy, self.state, self.voicemail = policy, state, voicemail
        self.faults: list[Fault] = []
        self.seen_numbers: dict[str, Where] = {}
        self.seen_shorts: dict[str, Where] = {}
        self.group_sizes = {name: len(g.members) for name, g in state.groups.items()}
        self.stated_members: dict[str, frozenset[str]] = {}  # the file's groups' members

    def check(self, where: Where, rule: Callable[[], T]) -> T | None:
        try:
            return rule()
        except DomainError as exc:
            self.faults.append(Fault(where, exc))
            return None

    def fault(self, where: Where, code: ErrorCode, **params: Any) -> None:
        self.faults.append(Fault(where, DomainError(code, **params)))

    def number(self, where: Where, number: E164) -> bool:
        """The number is the file's first row of it."""
        first = self.seen_numbers.setdefault(number.value, where)
        if first is not where:
            self.fault(where, ErrorCode.IMPORT_DUPLICATE, value=number.national(), first=first)
            return False
        return True

    def short(self, where: Where, short: str | None, holder: str) -> None:
        """A short number the file gives once, and that nobody else holds in the fleet."""
        if not short:
            return
        first = self.seen_shorts.setdefault(short, where)
        if first is not where:
            self.fault(where, ErrorCode.IMPORT_DUPLICATE, value=short, first=first)
        elif self.state.shorts.get(short, holder) != holder:
            self.fault(where, ErrorCode.SHORT_NUMBER_IN_USE, short_number=short)

    # -- lines -----------------------------------------------------------------------

    def line(self, spec: LineSpec) -> LinePlan | None:
        where, length = spec.where, self.state.fleet.short_number_length
        number = self.check(where, lambda: self.policy.mobile(spec.msisdn))
        if number is None or not self.number(where, number):
            return None
        row = self.state.lines.get(number.value)
        values: dict[str, Any] = {}
        current = {n: getattr(row, n) for n in LINE_FIELDS} if row else {}
        stated: tuple[tuple[str, str | None, Callable[[str], Any]], ...] = (
            ("employee_name", spec.employee_name, rules.employee_name),
            ("short_number", spec.short_number, lambda v: _short(v, length)),
            ("email", spec.email, rules.email),
            ("language", spec.language or None, rules.language),
        )
        faults = len(self.faults)
        for name, raw, rule in stated:
            if raw is not None:
                values[name] = self.check(where, partial(rule, raw))
            elif row is not None:
                values[name] = current[name]
            elif name == "employee_name":
                values[name] = self.check(where, lambda: rules.employee_name(None))
            else:
                values[name] = self.state.fleet.language if name == "language" else None
        for setting in LINE_SETTINGS:
            if setting.name in spec.settings:
                values[setting.name] = spec.settings[setting.name]
            else:
                values[setting.name] = getattr(row, setting.name) if row else setting.default
        self.short(where, values["short_number"], number.value)
        changed = tuple(
            n
            for n in (*LINE_FIELDS, *(s.name for s in LINE_SETTINGS))
            if row is None or getattr(row, n) != values[n]
        )
        plan = LinePlan(where, number.value, row, values, changed if row else ())
        pabx = bool(values[PABX_OPTION.name])
        self._forwardings(spec, plan, number, pabx)
        self._incoming(spec, plan, row, pabx)
        self._groups(spec, plan, row, number, pabx)
        members = self.stated_members
        plan.presented = self.check(
            where, lambda: fleetio_presented.target(spec, number, row, self.state, members)
        )
        if len(self.faults) > faults:
            return None
        return plan

    def _forwardings(self, spec: LineSpec, plan: LinePlan, number: E164, pabx: bool) -> None:
        where = spec.where
        existing = {f.kind: f for f in plan.row.forwardings} if plan.row else {}
        for kind, wanted in spec.forwardings.items():
            rule = existing.get(kind)
            now = (
                (rule.destination, rule.active, rule.no_reply_timer, rule.target) if rule else None
            )
            if wanted is None:
                if now is not None:
                    plan.forwardings[kind] = None
                continue
            if not pabx:
                self.fault(where, ErrorCode.PABX_OPTION_REQUIRED, number=number.national())
                return
            field_name = f"forward_{kind.value}"
            timer = self.check(where, partial(rules.no_reply_timer, kind, wanted.no_reply_timer))
            if wanted.target is ForwardingTarget.VOICEMAIL:
                if self.check(where, partial(self.voicemail.require, field=field_name)) is None:
                    continue
                goal: ForwardingGoal = (None, wanted.active, timer, ForwardingTarget.VOICEMAIL)
            else:
                target = self.check(
                    where, partial(self.policy.destination, wanted.destination, field=field_name)
                )
                if target is None:
                    continue
                if target == number:
                    self.fault(where, ErrorCode.FORWARDING_TO_SELF)
                    continue
                if self.voicemail.is_platform(target):  # the platform's number: voicemail
                    goal = (None, wanted.active, timer, ForwardingTarget.VOICEMAIL)
                else:
                    goal = (target.value, wanted.active, timer, ForwardingTarget.NUMBER)
            if goal != now:
                plan.forwardings[kind] = goal

    def _incoming(self, spec: LineSpec, plan: LinePlan, row: LineRow | None, pabx: bool) -> None:
        if not spec.incoming_stated:
            return
        listed = row.incoming_list if row else None
        now = (
            (
                listed.active,
                listed.mode.value,
                listed.ring_time,
                tuple(e.number for e in sorted(listed.entries, key=lambda e: e.position)),
            )
            if listed
            else None
        )
        wanted = spec.incoming
        if wanted is None:  # "no list": an existing one is switched off, its entries kept
            if now is not None and now[0]:
                plan.incoming = (False, now[1], now[2], now[3])
            return
        where = spec.where
        if not pabx:
            self.fault(where, ErrorCode.PABX_OPTION_REQUIRED, number=E164(plan.msisdn).national())
            return
        mode = self.check(where, lambda: rules.ring_mode(wanted.mode))
        step = self.check(where, lambda: rules.ring_time(wanted.ring_time))
        self.check(where, lambda: rules.list_size(len(wanted.entries)))
        entries: list[str] = []
        for index, raw in enumerate(wanted.entries):
            found = self.check(
                where, partial(self.policy.destination, raw, field=f"entries.{index}")
            )
            if found is None:
                continue
            if found.value in entries:
                self.fault(where, ErrorCode.LIST_DUPLICATE_ENTRY, number=found.national())
            entries.append(found.value)
        if wanted.active and not wanted.entries:
            self.fault(where, ErrorCode.LIST_EMPTY)
        if mode is None or step is None:
            return
        goal = (wanted.active, mode.value, step, tuple(entries))
        if goal != now:
            plan.incoming = goal

    def _groups(
        self, spec: LineSpec, plan: LinePlan, row: LineRow | None, number: E164, pabx: bool
    ) -> None:
        where = spec.where
        current = {m.group_id for m in row.memberships} if row else set()
        if spec.groups is not None:
            wanted: set[int] = set()
            for name in spec.groups:
                group = self.state.groups.get(name.lower())
                if group is None:
                    self.fault(where, ErrorCode.IMPORT_GROUP_UNKNOWN, name=name)
                    continue
                wanted.add(group.id)
                if group.id not in current:
                    plan.add_groups.append(group)
                    self.group_sizes[group.name.lower()] += 1
                    if self.group_sizes[group.name.lower()] > MAX_MEMBERS:
                        self.fault(where, ErrorCode.GROUP_FULL, max=MAX_MEMBERS)
            for group in self.state.groups.values():
                if group.id in current and group.id not in wanted:
                    if group.number == number.value:
                        self.fault(
                            where,
                            ErrorCode.GROUP_NUMBER_MEMBER_REQUIRED,
                            number=number.national(),
                        )
                    plan.drop_groups.append(group)
                    self.group_sizes[group.name.lower()] -= 1
            current = wanted
        if current and not pabx:
            if plan.add_groups:
                self.fault(where, ErrorCode.PABX_OPTION_REQUIRED, number=number.national())
            else:
                names = sorted(g.name for g in self.state.groups.values() if g.id in current)
                self.fault(
                    where,
                    ErrorCode.LINE_IN_GROUPS,
                    number=number.national(),
                    groups=", ".join(names),
                )

    # -- fixed numbers and trunks ------------------------------------------------------

    def fixed(self, spec: FixedSpec, trunks: set[str]) -> FixedPlan | None:
        where, faults = spec.where, len(self.faults)
        number = self.check(where, lambda: self.policy.fixed(spec.number))
        if number is None or not self.number(where, number):
            return None
        row = self.state.fixed.get(number.value)
        values = {
            "label": self.check(where, lambda: rules.label(spec.label)),
            "trunk": self.check(where, lambda: rules.trunk_name(spec.trunk)),
            "short_number": self.check(
                where, lambda: _short(spec.short_number, self.state.fleet.short_number_length)
            ),
        }
        if values["trunk"] and values["trunk"] not in trunks:
            self.fault(where, ErrorCode.TRUNK_UNKNOWN, trunk=values["trunk"])
        self.short(where, values["short_number"], number.value)
        if len(self.faults) > faults:
            return None
        changed = tuple(n for n in values if row is not None and getattr(row, n) != values[n])
        return FixedPlan(where, number.value, row, values, changed)

    def trunk(self, spec: TrunkSpec) -> TrunkRow | None:
        """A trunk the fleet does not have yet, to create (without a secret); one it has is
        left as it is (its secret and state are the fleet's, not the file's)."""
        if spec.name in self.state.trunks:
            return None
        where = spec.where

        def build() -> TrunkRow:
            row = TrunkRow(
                name=rules.trunk_name(spec.name),
                mode=trunkrules.choice(TrunkMode, spec.mode or TrunkMode.STATIC, field="mode"),
                host=trunkrules.host(spec.host),
                port=trunkrules.port(spec.port),
                transport=trunkrules.choice(
                    TrunkTransport, spec.transport or TrunkTransport.UDP, field="transport"
                ),
                username=trunkrules.credential(spec.username, field="username"),
                realm=trunkrules.credential(spec.realm, field="realm"),
                history=trunkrules.choice(
                    HistoryStyle, spec.history or HistoryStyle.BOTH, field="history"
                ),
            )
            trunkrules.profile(
                trunkrules.Profile(
                    mode=row.mode,
                    host=row.host,
                    username=row.username,
                    realm=row.realm,
                    has_secret=False,
                )
            )
            return row

        return self.check(where, build)
