"""What a tshark capture of SIPp sessions with FleetPBX shows of its dialogs: each Call-ID's
INVITEs, final responses, ACKs and BYEs (:func:`dialogs`), and the problems a complete session
must not have (an INVITE unanswered, a 2xx not ACKed, a confirmed dialog not BYEd)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.sip.capture import SipMessage


@dataclass
class Dialog:
    """What the capture shows of one Call-ID."""

    invites: int = 0
    finals: list[int] = field(default_factory=list)  # final responses to INVITE
    acks: int = 0
    byes: int = 0
    bye_ok: int = 0

    @property
    def confirmed(self) -> bool:
        return any(200 <= status < 300 for status in self.finals)

    def problems(self) -> list[str]:
        found = []
        if self.invites and not self.finals:
            found.append("INVITE without final response")
        if self.confirmed and not self.acks:
            found.append("2xx to INVITE never ACKed")
        if self.confirmed and not (self.byes and self.bye_ok):
            found.append("confirmed dialog not ended by a BYE answered 200")
        return found


def dialogs(messages: Sequence[SipMessage]) -> dict[str, Dialog]:
    by_call: dict[str, Dialog] = defaultdict(Dialog)
    for message in messages:
        call_id = message.value("sip.Call-ID")
        assert call_id is not None, f"no Call-ID in {message}"
        dialog = by_call[call_id]
        method, status = message.method, message.status
        if method == "INVITE":
            dialog.invites += 1
        elif method == "ACK":
            dialog.acks += 1
        elif method == "BYE":
            dialog.byes += 1
        elif status is not None and status >= 200 and message.cseq_method == "INVITE":
            dialog.finals.append(status)
        elif status == 200 and message.cseq_method == "BYE":
            dialog.bye_ok += 1
    return dict(by_call)


def listing(messages: Sequence[SipMessage]) -> str:
    return "\n".join(f"{m} {m.value('sip.r-uri') or ''}" for m in messages)


def b_leg_invites(messages: Sequence[SipMessage], handsets: int) -> list[SipMessage]:
    return [m for m in messages if m.method == "INVITE" and m.dst_port == handsets]
