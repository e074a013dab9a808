"""Do-not-disturb (issue 16; seeds 000 and 001): a line in DND does not ring. Its callers get
the busy treatment — the line's busy forwarding when active, else busy — except, when the
line exempts them, its colleagues: callers whose number is a line or a fixed number of the
same fleet. The decision is pure; the router and the incoming-call list apply it and the
call's record says which it was (``CallEventKind.DO_NOT_DISTURB`` with a ``DndVerdict``)."""

from __future__ import annotations

from enum import StrEnum

from fleet.core.calls.call import Call
from fleet.core.calls.ports import Directory
from fleet.core.criteria import CriteriaTarget
from fleet.core.linesettings import DND, DND_VPN_EXEMPT
from fleet.core.model import Line, LineServices
from fleet.core.values import CallEventKind


class DndVerdict(StrEnum):
    """What a line's do-not-disturb did to a call (the ``dnd`` of the event's detail)."""

    BUSY = "busy"  # not rung: the caller gets the busy treatment
    COLLEAGUE_EXEMPT = "colleague_exempt"  # rung all the same: a colleague, exempted


def verdict(line: Line, caller_fleet: int | None) -> DndVerdict | None:
    """None when the line is not in do-not-disturb; else whether the call is held off."""
    if not DND.of(line):
        return None
    if DND_VPN_EXEMPT.of(line) and caller_fleet is not None and caller_fleet == line.fleet_id:
        return DndVerdict.COLLEAGUE_EXEMPT
    return DndVerdict.BUSY


def held_off(call: Call, services: LineServices, directory: Directory) -> bool:
    """Apply the line's do-not-disturb to ``call``: True when the line must not ring (the
    caller's treatment is the caller of this function's: busy forwarding or busy). Either
    way the record notes the decision when the line is in do-not-disturb. DND with
    criteria (issue 16: "only outside a schedule", the opposite schedule) applies only when
    they match."""
    line = services.line
    if not DND.of(line):  # the common case: no directory look-up
        return False
    criteria = services.criteria_of(CriteriaTarget.DND)
    if not call.applies(
        criteria,
        CriteriaTarget.DND,
        fleet_id=line.fleet_id,
        owner=line.id,
        to_number=line.msisdn.value,
    ):
        return False
    caller_fleet = directory.fleet_of(call.caller) if call.caller is not None else None
    decided = verdict(line, caller_fleet)
    if decided is None:
        return False
    call.note(
        CallEventKind.DO_NOT_DISTURB,
        to_number=line.msisdn.value,
        detail={"dnd": decided.value},
    )
    return decided is DndVerdict.BUSY
