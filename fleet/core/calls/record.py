"""Builds the call record of one call as it happens (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, SessionCase


class RecordBuilder:
    __slots__ = (
        "answered_at",
        "call_id",
        "called",
        "callee_network_id",
        "caller",
        "caller_network_id",
        "cause",
        "correlation_id",
        "events",
        "fleet_id",
        "offered_at",
        "outcome",
        "released_at",
        "session_case",
    )

    def __init__(
        self,
        *,
        call_id: str,
        fleet_id: int | None,
        caller: str,
        called: str,
        at: datetime,
        session_case: SessionCase = SessionCase.TERMINATING,
    ) -> None:
        self.call_id = call_id
        self.fleet_id = fleet_id
        self.caller = caller
        self.called = called
        self.offered_at = at
        self.answered_at: datetime | None = None
        self.released_at: datetime | None = None
        self.outcome: CallOutcome | None = None
        self.cause: str | None = None
        self.events: list[CallEvent] = []
        self.session_case = session_case
        self.correlation_id: str | None = None
        self.caller_network_id: str | None = None
        self.callee_network_id: str | None = None

    def event(
        self,
        at: datetime,
        kind: CallEventKind,
        *,
        forwarding_kind: ForwardingKind | None = None,
        from_number: str | None = None,
        to_number: str | None = None,
        group_id: int | None = None,
        member_line_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            CallEvent(
                seq=len(self.events) + 1,
                at=at,
                kind=kind,
                forwarding_kind=forwarding_kind,
                from_number=from_number,
                to_number=to_number,
                group_id=group_id,
                member_line_id=member_line_id,
                detail=detail,
            )
        )

    def build(self) -> CallRecord:
        return CallRecord(
            call_id=self.call_id,
            fleet_id=self.fleet_id,
            caller=self.caller,
            called=self.called,
            offered_at=self.offered_at,
            answered_at=self.answered_at,
            released_at=self.released_at,
            outcome=self.outcome,
            cause=self.cause,
            events=tuple(self.events),
            session_case=self.session_case,
            correlation_id=self.correlation_id,
            caller_network_id=self.caller_network_id,
            callee_network_id=self.callee_network_id,
        )
