"""What the routing table (``fleet.core.directory``) holds per fleet, and the keys a fleet
holds in the table's indexes (pure)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import ClassVar

from fleet.core import model
from fleet.core.contacts import Contact
from fleet.core.criteria import Criteria
from fleet.core.numbering import E164
from fleet.core.schedules import Schedule


@dataclass
class FleetSnapshot:
    """One fleet as the table holds it."""

    fleet: model.Fleet
    lines: dict[int, model.LineServices] = field(default_factory=dict)
    fixed: dict[int, model.FixedNumber] = field(default_factory=dict)
    groups: dict[int, model.CallGroup] = field(default_factory=dict)
    shorts: dict[str, E164] = field(default_factory=dict)  # short number -> E.164
    member_of: dict[int, set[int]] = field(default_factory=dict)  # line id -> group ids
    contacts: dict[int, Contact] = field(default_factory=dict)  # the directory's contacts
    abbreviated: dict[str, E164] = field(default_factory=dict)  # abbreviated number -> E.164
    schedules: dict[int, Schedule] = field(default_factory=dict)  # routing criteria read them
    # group id -> its criteria in order (a group without any is not in it)
    group_criteria: dict[int, tuple[Criteria, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetKeys:
    """The keys a fleet holds in the table's indexes."""

    lines: frozenset[str]  # E.164 values
    fixed: frozenset[str]
    groups: frozenset[str]
    line_ids: frozenset[int]
    group_ids: frozenset[int]

    EMPTY: ClassVar[FleetKeys]

    @classmethod
    def of(cls, snapshot: FleetSnapshot, *, step: int) -> Generator[None, None, FleetKeys]:
        """The keys of ``snapshot``, a step at a time (it may change between steps: each
        step reads from a copy taken at once)."""
        lines = list(snapshot.lines.values())
        numbers: set[str] = set()
        ids: set[int] = set()
        for count, services in enumerate(lines, start=1):
            numbers.add(services.line.msisdn.value)
            ids.add(services.line.id)
            if count % step == 0:
                yield
        return cls(
            lines=frozenset(numbers),
            fixed=frozenset(f.number.value for f in list(snapshot.fixed.values())),
            groups=frozenset(g.number.value for g in list(snapshot.groups.values())),
            line_ids=frozenset(ids),
            group_ids=frozenset(snapshot.groups),
        )


FleetKeys.EMPTY = FleetKeys(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


def swap_keys(
    index: dict[str, tuple[int, int]],
    new: dict[str, tuple[int, int]],
    stale: frozenset[str],
    fleet_id: int,
) -> None:
    for key in stale:
        if index.get(key, (None, None))[0] == fleet_id:
            del index[key]
    index.update(new)


def swap_ids(
    index: dict[int, int], new: dict[int, int], stale: frozenset[int], fleet_id: int
) -> None:
    for key in stale:
        if index.get(key) == fleet_id:
            del index[key]
    index.update(new)


def bare_line(line: model.Line) -> model.LineServices:
    """A line with no services yet (just created)."""
    return model.LineServices(line=line, forwardings=(), incoming_list=None, groups=())


def drop_short(snapshot: FleetSnapshot, short: str | None, number: E164) -> None:
    """Forget a short number, unless it already leads somewhere else."""
    if short and snapshot.shorts.get(short) == number:
        del snapshot.shorts[short]


def refresh_memberships(snapshot: FleetSnapshot, line_id: int) -> None:
    """A line's groups as seen from the line, from the groups in the snapshot."""
    current = snapshot.lines.get(line_id)
    if current is None:
        return
    found = []
    for group_id in snapshot.member_of.get(line_id, ()):
        group = snapshot.groups[group_id]
        for member in group.members:
            if member.line_id == line_id:
                found.append(
                    model.GroupMembership(
                        group_id=group.id,
                        group_number=group.number,
                        group_name=group.name,
                        position=member.position,
                        connected=member.connected,
                    )
                )
    found.sort(key=lambda g: g.group_name)
    if current.groups != tuple(found):
        snapshot.lines[line_id] = replace(current, groups=tuple(found))


def put_contact(snapshot: FleetSnapshot, contact: Contact) -> None:
    """Hold a contact (in place of its old self) and index its abbreviated number."""
    drop_contact(snapshot, contact.id)
    snapshot.contacts[contact.id] = contact
    if contact.abbreviated:
        snapshot.abbreviated[contact.abbreviated] = contact.number


def drop_contact(snapshot: FleetSnapshot, contact_id: int) -> None:
    """Forget a contact and its abbreviated number (unless it already leads elsewhere)."""
    old = snapshot.contacts.pop(contact_id, None)
    short = old.abbreviated if old is not None else None
    if old is not None and short and snapshot.abbreviated.get(short) == old.number:
        del snapshot.abbreviated[short]
