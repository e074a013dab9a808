"""DESIGN §8's two tables at the edge: what a B-leg's final response (or its Reason's Q.850
cause, which comes first) tells the engine, and the final response an engine release cause
gives an unanswered caller."""

from __future__ import annotations

import re

from fleet.core.calls.events import (
    LegBusy,
    LegRejected,
    LegUnreachable,
    ReleaseCause,
)

LegFailure = type[LegBusy] | type[LegRejected] | type[LegUnreachable]

# Q.850 cause values (ITU-T Q.850 table 1) of a Reason header (RFC 3326)
Q850_EVENTS: dict[int, LegFailure] = {
    1: LegUnreachable,  # unallocated number
    3: LegUnreachable,  # no route to destination
    17: LegBusy,  # user busy
    18: LegUnreachable,  # no user responding
    19: LegUnreachable,  # no answer from user (user alerted)
    20: LegUnreachable,  # subscriber absent
    21: LegRejected,  # call rejected
    27: LegUnreachable,  # destination out of order
    34: LegUnreachable,  # no circuit/channel available
    41: LegUnreachable,  # temporary failure
}

STATUS_EVENTS: dict[int, LegFailure] = {
    486: LegBusy,
    600: LegBusy,
    603: LegRejected,
    404: LegUnreachable,
    408: LegUnreachable,
    480: LegUnreachable,
    503: LegUnreachable,
}

CAUSE_STATUS: dict[ReleaseCause, int] = {
    ReleaseCause.BUSY: 486,
    ReleaseCause.UNREACHABLE: 480,
    ReleaseCause.NO_ANSWER: 480,
    ReleaseCause.REJECTED: 603,
    ReleaseCause.FORWARDING_LOOP: 482,
    ReleaseCause.FORWARDING_LIMIT: 483,
    ReleaseCause.UNKNOWN_NUMBER: 404,
    ReleaseCause.NOT_ALLOWED: 403,
    ReleaseCause.QUEUE_FULL: 486,
    ReleaseCause.QUEUE_TIMEOUT: 480,
    ReleaseCause.INTERNAL_ERROR: 500,
    ReleaseCause.CANCELLED: 487,
    ReleaseCause.CALLER_HUNG_UP: 487,
}

# the Q.850 cause of a BYE ending an answered leg with a release cause (RFC 3326 Reason)
CAUSE_Q850: dict[ReleaseCause, tuple[int, str]] = {
    ReleaseCause.NORMAL: (16, "Normal call clearing"),
    ReleaseCause.BUSY: (17, "User busy"),
    ReleaseCause.NO_ANSWER: (19, "No answer from user"),
    ReleaseCause.UNREACHABLE: (20, "Subscriber absent"),
    ReleaseCause.REJECTED: (21, "Call rejected"),
    ReleaseCause.NOT_ALLOWED: (21, "Call rejected"),
    ReleaseCause.UNKNOWN_NUMBER: (1, "Unallocated number"),
    ReleaseCause.FORWARDING_LOOP: (25, "Exchange routing error"),
    ReleaseCause.FORWARDING_LIMIT: (25, "Exchange routing error"),
    ReleaseCause.QUEUE_FULL: (34, "No circuit/channel available"),
    ReleaseCause.QUEUE_TIMEOUT: (19, "No answer from user"),
    ReleaseCause.INTERNAL_ERROR: (41, "Temporary failure"),
}

_Q850 = re.compile(r"^\s*Q\.850\s*;(?:.*;)?\s*cause\s*=\s*(\d+)", re.IGNORECASE)


def q850_cause(reasons: list[str]) -> int | None:
    """The Q.850 cause of Reason header values (``Q.850;cause=17;text="User busy"``)."""
    for value in reasons:
        for part in value.split(","):
            found = _Q850.match(part)
            if found:
                return int(found.group(1))
    return None


def failure_event(status: int, reasons: list[str] | None = None) -> LegFailure:
    """The leg event of a final response >= 300 (a timeout is a 408): the Q.850 cause first,
    then the status; any other failure leaves the callee not reachable."""
    cause = q850_cause(reasons or [])
    if cause is not None and cause in Q850_EVENTS:
        return Q850_EVENTS[cause]
    return STATUS_EVENTS.get(status, LegUnreachable)


def final_status(cause: ReleaseCause) -> int:
    """The final response of an unanswered caller released with ``cause`` (normal: 480,
    the call ended without anyone to reach)."""
    return CAUSE_STATUS.get(cause, 480)


def reason_of(cause: ReleaseCause) -> str:
    """The Reason header value (RFC 3326) of a BYE releasing an answered leg with ``cause``."""
    value, text = CAUSE_Q850.get(cause, (16, "Normal call clearing"))
    return f'Q.850;cause={value};text="{text}"'
