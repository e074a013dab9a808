"""A call's diversion history: each forwarding hop, in order, carried by every leg
originated after it (DESIGN §8: adapters turn it into History-Info / Diversion)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.core.numbering import E164
from fleet.core.values import ForwardingKind


class DiversionReason(StrEnum):
    """Why a call left its target: a line's forwarding, or a group's no-answer rule."""

    UNCONDITIONAL = "unconditional"
    BUSY = "busy"
    NO_REPLY = "no_reply"
    NOT_REACHABLE = "not_reachable"
    GROUP_NO_ANSWER = "group_no_answer"

    @classmethod
    def of(cls, kind: ForwardingKind | None) -> DiversionReason:
        """The reason of a line's forwarding of ``kind``; None is a group's no-answer rule."""
        if kind is None:
            return cls.GROUP_NO_ANSWER
        return _BY_KIND[kind]


_BY_KIND = {
    ForwardingKind.UNCONDITIONAL: DiversionReason.UNCONDITIONAL,
    ForwardingKind.BUSY: DiversionReason.BUSY,
    ForwardingKind.NO_REPLY: DiversionReason.NO_REPLY,
    ForwardingKind.NOT_REACHABLE: DiversionReason.NOT_REACHABLE,
}


@dataclass(frozen=True, slots=True)
class Diversion:
    """One hop: the call to ``by`` (a line, or a group's number) went on to ``to``."""

    reason: DiversionReason
    by: E164 | None
    to: E164
