"""The record builder: a call's record as it happens (DESIGN §4)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from fleet.core.calls.record import RecordBuilder
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def builder() -> RecordBuilder:
    return RecordBuilder(
        call_id="c1", fleet_id=3, caller="+33699000001", called="+33611000002", at=T0
    )


def test_events_are_numbered_in_the_order_they_happen() -> None:
    record = builder()
    record.event(T0, CallEventKind.OFFERED, to_number="+33611000002")
    record.event(
        T0 + timedelta(seconds=25),
        CallEventKind.FORWARDED,
        forwarding_kind=ForwardingKind.NO_REPLY,
        from_number="+33611000002",
        to_number="+33611000007",
    )
    built = record.build()
    assert [(e.seq, e.kind) for e in built.events] == [
        (1, CallEventKind.OFFERED),
        (2, CallEventKind.FORWARDED),
    ]
    assert built.events[1].forwarding_kind is ForwardingKind.NO_REPLY


def test_the_built_record_carries_parties_times_outcome_and_cause() -> None:
    record = builder()
    record.answered_at = T0 + timedelta(seconds=4)
    record.released_at = T0 + timedelta(seconds=64)
    record.outcome = CallOutcome.ANSWERED
    record.cause = "normal"
    built = record.build()
    assert (built.call_id, built.fleet_id, built.caller, built.called) == (
        "c1",
        3,
        "+33699000001",
        "+33611000002",
    )
    assert (built.offered_at, built.answered_at, built.released_at) == (
        T0,
        T0 + timedelta(seconds=4),
        T0 + timedelta(seconds=64),
    )
    assert (built.outcome, built.cause) == (CallOutcome.ANSWERED, "normal")


def test_a_built_record_does_not_change_when_the_call_goes_on() -> None:
    record = builder()
    record.event(T0, CallEventKind.OFFERED)
    built = record.build()
    record.event(T0, CallEventKind.RELEASED)
    assert len(built.events) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.outcome = CallOutcome.BUSY  # type: ignore[misc]


def test_a_call_not_over_has_no_outcome_yet() -> None:
    built = builder().build()
    assert (built.outcome, built.answered_at, built.released_at, built.events) == (
        None,
        None,
        None,
        (),
    )
