"""A line's call records as the portals show them: when (in the fleet's time zone), which
way, the other party, the outcome, how long, what happened on the way, and which visit to
FleetPBX it was (session case) with the network's ids of the call when it had them (SIP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fleet.core import model
from fleet.core.dialling import Presentation
from fleet.core.numbering import shown
from fleet.core.values import CallEventKind, ForwardingTarget

# events worth a word in the log (offered, answered and released are the columns already)
NOTABLE = (
    CallEventKind.ABBREVIATED_DIALLED,
    CallEventKind.FORWARDED,
    CallEventKind.LIST_RING,
    CallEventKind.DO_NOT_DISTURB,
    CallEventKind.CRITERIA,
    CallEventKind.RESTRICTED,
    CallEventKind.GROUP_OFFERED,
    CallEventKind.QUEUED,
    CallEventKind.TRANSFERRED,
    CallEventKind.CONFERENCE_JOINED,
)
VOICEMAIL = ForwardingTarget.VOICEMAIL.value  # shown after "forwarded" when it went there


@dataclass(frozen=True, slots=True)
class CallRow:
    call_id: str
    when: str
    outgoing: bool
    other: str
    hidden: bool  # an incoming call whose caller hid its number: "other" is not shown
    outcome: str  # a CallOutcome value, or "" while the call is not over
    duration: str  # "m:ss" of conversation, "" when not answered
    events: tuple[str, ...]  # CallEventKind values (and "voicemail"), in order, no repeats
    session_case: str  # a SessionCase value: the visit this record is of
    network: NetworkIds | None  # the call's ids in the network; None when it had none
    rules: tuple[RuleShown, ...] = ()  # the routing criteria decided (issue 16), in order


@dataclass(frozen=True, slots=True)
class RuleShown:
    """A rule's criteria decided on the call: the rule, whether it applied, and why — the
    schedule with its range or holiday (or the local time it was closed at), the callers,
    and the criterion that matched (a rule has several, issue 16 item 2)."""

    target: str  # a CriteriaTarget value
    matched: bool
    schedule: str  # "Bureau 08:00–12:00", "Bureau (20:00)", "" without a schedule
    callers: str  # a CallerFilter value, "" for every caller
    criterion: str = ""  # the one that matched: "#2 « Soir »", "#1"; "" none or older record


@dataclass(frozen=True, slots=True)
class NetworkIds:
    """What ties a record to the network's signalling (SIP): the correlation id shared by
    the visits of one call (the ICID) and the Call-IDs of the caller's and callee's legs;
    each "" when not recorded."""

    correlation_id: str
    caller_leg: str
    callee_leg: str


def row(record: model.CallRecord, line: model.Line, timezone: str) -> CallRow:
    outgoing = record.caller == line.msisdn.value
    hidden = not outgoing and _hidden_from(record, line)
    other = "" if hidden else record.called if outgoing else record.caller
    duration = ""
    if record.answered_at and record.released_at:
        seconds = max(0, int((record.released_at - record.answered_at).total_seconds()))
        duration = f"{seconds // 60}:{seconds % 60:02d}"
    events: list[str] = []
    for event in record.events:
        if event.kind in NOTABLE and event.kind.value not in events:
            events.append(event.kind.value)
        if (event.detail or {}).get("target") == VOICEMAIL and VOICEMAIL not in events:
            events.append(VOICEMAIL)  # forwarded to voicemail (issue 16 item 7)
    return CallRow(
        call_id=record.call_id,
        when=local_time(record.offered_at, timezone),
        outgoing=outgoing,
        other=number(other) if other else "",
        hidden=hidden,
        outcome=record.outcome.value if record.outcome else "",
        duration=duration,
        events=tuple(events),
        session_case=record.session_case.value,
        network=_network(record),
        rules=tuple(
            _rule(event.detail or {})
            for event in record.events
            if event.kind is CallEventKind.CRITERIA
        ),
    )


def _rule(detail: dict[str, object]) -> RuleShown:
    schedule = ""
    if detail.get("schedule"):
        when = detail.get("range") or detail.get("holiday")
        schedule = (
            f"{detail['schedule']} {when}" if when else f"{detail['schedule']} ({detail.get('at')})"
        )
    callers = detail.get("callers")
    number, name = detail.get("criterion"), detail.get("name")
    criterion = ""
    if number is not None:
        criterion = f"#{number}" + (f" « {name} »" if name else "")
    return RuleShown(
        target=str(detail.get("target", "")),
        matched=bool(detail.get("matched")),
        schedule=schedule,
        callers=callers if isinstance(callers, str) and callers != "any" else "",
        criterion=criterion,
    )


def _network(record: model.CallRecord) -> NetworkIds | None:
    """The record's network ids, or None when it has none (a simulated-network call)."""
    ids = NetworkIds(
        correlation_id=record.correlation_id or "",
        caller_leg=record.caller_network_id or "",
        callee_leg=record.callee_network_id or "",
    )
    return ids if any((ids.correlation_id, ids.caller_leg, ids.callee_leg)) else None


def _hidden_from(record: model.CallRecord, line: model.Line) -> bool:
    """The caller hid its number (CLIR) when the call was offered to this line: the line's
    user must not see it in the log either."""
    return any(
        event.kind is CallEventKind.OFFERED
        and event.to_number == line.msisdn.value
        and (event.detail or {}).get("presentation") == Presentation.RESTRICTED.value
        for event in record.events
    )


def local_time(moment: datetime, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S")


def number(raw: str) -> str:
    """National, with spaces; an anonymous or unknown party as recorded."""
    return shown(raw)
