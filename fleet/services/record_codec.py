"""A call record as one line of the record journal: ``<crc32> <json>\\n``.

The checksum (CRC-32 of the JSON, eight hex digits) tells a whole line from one cut short
by a power failure or a full disk: such a line is refused (``CorruptLine``), never half
read. The visit's fields (``case``, ``corr``, ``legs``: the caller's and the callee's
network ids) are written only when they say something, and a line without them — all lines
written before they existed — reads as a terminating visit without correlation or leg ids."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, SessionCase


class CorruptLine(ValueError):
    """A journal line that is cut short, altered, or not a call record."""


def encode(record: CallRecord) -> bytes:
    body = json.dumps(_record(record), separators=(",", ":"), ensure_ascii=False).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode(line: bytes) -> CallRecord:
    line = line.rstrip(b"\n")
    crc, _, body = line.partition(b" ")
    try:
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(body):
            raise CorruptLine("checksum mismatch")
        return _from(json.loads(body))
    except CorruptLine:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise CorruptLine(repr(exc)) from exc


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _record(r: CallRecord) -> dict[str, Any]:
    return _basics(r) | _visit(r)


def _visit(r: CallRecord) -> dict[str, Any]:
    visit: dict[str, Any] = {}
    if r.session_case is not SessionCase.TERMINATING:
        visit["case"] = r.session_case.value
    if r.correlation_id is not None:
        visit["corr"] = r.correlation_id
    if r.caller_network_id is not None or r.callee_network_id is not None:
        visit["legs"] = [r.caller_network_id, r.callee_network_id]
    return visit


def _basics(r: CallRecord) -> dict[str, Any]:
    return {
        "id": r.call_id,
        "fleet": r.fleet_id,
        "caller": r.caller,
        "called": r.called,
        "offered": _time(r.offered_at),
        "answered": _time(r.answered_at),
        "released": _time(r.released_at),
        "outcome": r.outcome.value if r.outcome else None,
        "cause": r.cause,
        "events": [
            [
                e.seq,
                e.at.isoformat(),
                e.kind.value,
                e.forwarding_kind.value if e.forwarding_kind else None,
                e.from_number,
                e.to_number,
                e.group_id,
                e.member_line_id,
                e.detail,
            ]
            for e in r.events
        ],
    }


def _from(data: dict[str, Any]) -> CallRecord:
    offered = _parse_time(data["offered"])
    if offered is None:
        raise CorruptLine("a call record without its offer time")
    caller_network_id, callee_network_id = data.get("legs", (None, None))
    return CallRecord(
        session_case=SessionCase(data.get("case", SessionCase.TERMINATING.value)),
        correlation_id=data.get("corr"),
        caller_network_id=caller_network_id,
        callee_network_id=callee_network_id,
        call_id=str(data["id"]),
        fleet_id=data["fleet"],
        caller=data["caller"],
        called=data["called"],
        offered_at=offered,
        answered_at=_parse_time(data["answered"]),
        released_at=_parse_time(data["released"]),
        outcome=CallOutcome(data["outcome"]) if data["outcome"] else None,
        cause=data["cause"],
        events=tuple(
            CallEvent(
                seq=seq,
                at=datetime.fromisoformat(at),
                kind=CallEventKind(kind),
                forwarding_kind=ForwardingKind(fwd) if fwd else None,
                from_number=from_number,
                to_number=to_number,
                group_id=group_id,
                member_line_id=member_line_id,
                detail=detail,
            )
            for seq, at, kind, fwd, from_number, to_number, group_id, member_line_id, detail in (
                data["events"]
            )
        ),
    )
