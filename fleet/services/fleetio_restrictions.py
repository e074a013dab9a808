"""The bulk import's forwardings and incoming-call lists checked against each line's barring
programs and restriction profile (issue 16), as the single-line services check them
(``restrictioncheck``: ``DESTINATION_BARRED``, ``DESTINATION_RESTRICTED``).

The line is taken as the file leaves it (a profile or a program the same row sets counts),
the fleet's own numbers are its lines and fixed numbers with those the file adds. What the
import writes is checked, as a service checks what it is asked to write: a forwarding to a
number that the import registers, changes or switches on (not one it only switches off);
every entry of an incoming-call list it replaces (not one it only switches off; an entry
outside the fleet is refused already, ``NUMBER_NOT_IN_VPN``). A forwarding or a list the
file states as the fleet already has it is written by nobody and left as it is, as when a
manager tightens a profile (the engine does not follow what the line may not call). Each
refused destination is a fault of its row, with its field (``forward_<kind>``,
``entries.<n>``); the import's rule then writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from fleet.core import model
from fleet.core.linesettings import BAOC, BOIC, BOIC_EXHC, LINE_SETTINGS, RESTRICTION_PROFILE
from fleet.core.numbering import E164
from fleet.core.restrictions import Refusal, Restrictions
from fleet.core.values import ForwardingKind, RestrictionProfile
from fleet.services.fleetio_plan import Checker, ForwardingGoal, LinePlan, ListTarget
from fleet.services.fleetio_spec import Fault
from fleet.services.restrictioncheck import FleetNumbers, refused_error

OUTGOING = (BAOC, BOIC, BOIC_EXHC)  # the programs barring outgoing calls (and forwardings)


def check(checker: Checker, lines: Sequence[LinePlan], fleet_numbers: AbstractSet[str]) -> None:
    """Add to ``checker`` a fault for each destination of the planned ``lines`` that their
    line may not forward to or list; ``fleet_numbers``: the E.164 numbers of the fleet's
    lines and fixed numbers once the file is imported. A verdict depends on the line's
    profile and programs only (one fleet): it is reused for the next line alike."""
    fleet_id = checker.state.fleet.id
    restrictions = Restrictions(
        policy=checker.policy, numbers=FleetNumbers(fleet_id, fleet_numbers)
    )
    verdicts: dict[tuple[object, ...], Refusal | None] = {}
    for plan in lines:
        if not plan.forwardings and plan.incoming is None:
            continue
        values = plan.values
        programs = tuple(bool(values[s.name]) for s in OUTGOING)
        profile = values[RESTRICTION_PROFILE.name]
        if profile is RestrictionProfile.UNRESTRICTED and not any(programs):
            continue
        line = planned_line(plan, fleet_id)
        for field, number, entry in _written(plan):
            if entry and number not in fleet_numbers:
                continue  # outside the fleet: refused already (number_not_in_vpn)
            key = (profile, programs, number, entry)
            if key not in verdicts:
                verdicts[key] = restrictions.destination(line, E164(number), entry=entry)
            refusal = verdicts[key]
            if refusal is not None:
                error = refused_error(refusal, E164(number), field=field)
                checker.faults.append(Fault(plan.where, error))


def planned_line(plan: LinePlan, fleet_id: int) -> model.Line:
    """The line as the import leaves it (its settings are what the barring programs and the
    profile read)."""
    values = plan.values
    return model.Line(
        id=plan.row.id if plan.row is not None else 0,
        fleet_id=fleet_id,
        msisdn=E164(plan.msisdn),
        short_number=values["short_number"],
        employee_name=values["employee_name"],
        email=values["email"],
        language=values["language"],
        **{s.name: values[s.name] for s in LINE_SETTINGS},
    )


def _written(plan: LinePlan) -> list[tuple[str, str, bool]]:
    """The destinations the import writes for the line: (field, E.164 number, list entry)."""
    found: list[tuple[str, str, bool]] = []
    current = _current_forwardings(plan)
    for kind, goal in plan.forwardings.items():
        if goal is None or goal[0] is None or _forwarding_off(current.get(kind), goal):
            continue  # removed, to voicemail, or switched off
        found.append((f"forward_{kind.value}", goal[0], False))
    wanted = plan.incoming
    if wanted is not None and not _list_off(_current_list(plan), wanted):
        found.extend((f"entries.{i}", number, True) for i, number in enumerate(wanted[3]))
    return found


def _current_forwardings(plan: LinePlan) -> dict[ForwardingKind, ForwardingGoal]:
    if plan.row is None:
        return {}
    return {
        f.kind: (f.destination, f.active, f.no_reply_timer, f.target) for f in plan.row.forwardings
    }


def _current_list(plan: LinePlan) -> ListTarget | None:
    listed = plan.row.incoming_list if plan.row is not None else None
    if listed is None:
        return None
    entries = tuple(e.number for e in sorted(listed.entries, key=lambda e: e.position))
    return (listed.active, listed.mode.value, listed.ring_time, entries)


def _forwarding_off(now: ForwardingGoal | None, goal: ForwardingGoal) -> bool:
    """``goal`` is the forwarding ``now`` switched off, nothing else changed."""
    return now is not None and goal == (now[0], False, now[2], now[3])


def _list_off(now: ListTarget | None, goal: ListTarget) -> bool:
    """``goal`` is the list ``now`` switched off, nothing else changed."""
    return now is not None and goal == (False, now[1], now[2], now[3])
