"""A line's restriction profile in the call engine (issue 16; seed 002 §2.4), pure.

Two places, one rule (``fleet.core.restrictions``):

- the line's own outgoing call — the originating visit, and the simulated network's calls
  from a fleet line — to a destination its profile does not allow is not put through: the
  caller hears the "call restricted" announcement and the call is released (``REJECTED``,
  ``NOT_ALLOWED``);
- the line's forwarding to a destination its profile does not allow (one set before the
  profile was tightened: the services refuse new ones) is not followed: the call takes the
  next treatment as if the line had no such forwarding; an incoming-call list's entry its
  profile does not allow is not rung. The line's outgoing barring programs (BAOC, BOIC)
  bar its forwardings the same way — a forwarding is an outgoing leg of the line (TS
  22.088) — and its list's entries outside the fleet;
- a line barring incoming calls (BAIC, or BAIC-Roam while the network says its handset is
  abroad: ``Network.location``) is not rung as a group's member or a list's entry: skipped
  like a member in do-not-disturb, the call goes on.

Either way the record says why: a ``RESTRICTED`` event with the profile and the class of
the destination (and, for a forwarding, its kind)."""

from __future__ import annotations

from fleet.core import barring
from fleet.core.calls.call import Call
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.model import Line
from fleet.core.numbering import E164
from fleet.core.restrictions import Refusal
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind


def refuse(call: Call, refusal: Refusal) -> None:
    """End the line's outgoing call its profile does not allow (or a barring program bars),
    with the announcement."""
    call.note(CallEventKind.RESTRICTED, to_number=refusal.number, detail=refusal.detail())
    heard = Announcement.CALL_RESTRICTED if refusal.barring is None else Announcement.CALL_BARRED
    call.finish(CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED, announcement=heard)


def barred_incoming(call: Call, line: Line) -> bool:
    """Whether the line bars the call (BAIC; BAIC-Roam while it roams): then the caller hears
    the "call barred" announcement, the call is released and the record says which program."""
    program = _incoming(call, line)
    if program is None:
        return False
    call.note(
        CallEventKind.RESTRICTED,
        to_number=line.msisdn.value,
        detail={"barring": program.value},
    )
    call.finish(
        CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED, announcement=Announcement.CALL_BARRED
    )
    return True


def skipped_barred(
    call: Call, line: Line, *, group_id: int | None = None, member_line_id: int | None = None
) -> bool:
    """Whether ``line``, a list's entry or a group's member (``group_id``), bars incoming
    calls (BAIC; BAIC-Roam while it roams): then it is not rung — the record says which
    program, with ``skipped`` — and the call goes on to the next entry or member."""
    program = _incoming(call, line)
    if program is None:
        return False
    call.note(
        CallEventKind.RESTRICTED,
        to_number=line.msisdn.value,
        group_id=group_id,
        member_line_id=member_line_id,
        detail={"barring": program.value, "skipped": True},
    )
    return True


def _incoming(call: Call, line: Line) -> barring.Barring | None:
    """The program barring a call to ``line``; the network is asked whether the line roams
    only when BAIC-Roam is active."""
    roaming = barring.bars_roaming(line) and call.ports.network.location(line.msisdn).roaming
    return barring.incoming(line, roaming=roaming)


def allowed_forwarding(call: Call, line: Line, kind: ForwardingKind, destination: E164) -> bool:
    """Whether ``line``'s forwarding of ``kind`` to ``destination`` may be followed; when
    not, the record notes it (the caller of this function takes the next treatment)."""
    refusal = call.ports.restrictions.destination(line, destination)
    if refusal is None:
        return True
    call.note(
        CallEventKind.RESTRICTED,
        forwarding_kind=kind,
        from_number=line.msisdn.value,
        to_number=refusal.number,
        detail=refusal.detail(),
    )
    return False


def allowed_entry(call: Call, line: Line, entry: E164) -> bool:
    """Whether ``line``'s incoming-call list may ring ``entry``; when not, noted."""
    refusal = call.ports.restrictions.destination(line, entry, entry=True)
    if refusal is None:
        return True
    call.note(
        CallEventKind.RESTRICTED,
        from_number=line.msisdn.value,
        to_number=refusal.number,
        detail=refusal.detail(),
    )
    return False
