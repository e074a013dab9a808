"""netsim's voicemail platform (issue 16 item 7): the operator's platform at the deployment's
``voicemail_number``. FleetPBX forwards to voicemail by calling that number with the
diversion history; the platform answers at once, opens the mailbox the history names — the
latest diversion's number (RFC 5806 Diversion's first value, else RFC 7044 History-Info:
the line that forwarded, or the group whose no-answer rule sent the call) — "records" the
caller's message, then hangs up (our BYE) after ``message_seconds``. It sends no media: it
answers with a session description and reports each deposit."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer, Deferred, IncomingCall, Refusal
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.parties import caller_of, identity_withheld, uri_number
from simulators.netsim.diverted import ForwardReason, forwarded_of
from simulators.netsim.sdp import SDP, Direction, session

VOICEMAIL_OWNER = "voicemail"  # the o= user of its session descriptions
DEFAULT_MESSAGE_SECONDS = 5.0  # how long a caller "leaves a message" before the platform ends


@dataclass
class Deposit:
    """One call the platform took: whose mailbox (None: no diversion said), why the call
    came, from whom (None: hidden or unknown)."""

    mailbox: E164 | None
    reason: ForwardReason | None
    caller: E164 | None
    sip_call_id: str | None
    started: float
    ended: float | None = None

    def view(self) -> dict[str, object]:
        return {
            "mailbox": self.mailbox.national() if self.mailbox else None,
            "mailbox_e164": self.mailbox.value if self.mailbox else None,
            "reason": self.reason.value if self.reason else None,
            "caller": self.caller.national() if self.caller else None,
            "sip_call_id": self.sip_call_id,
            "recording": self.ended is None,
        }


class VoicemailPlatform:
    def __init__(
        self,
        ua: UserAgent,
        *,
        number: E164,
        policy: NumberPolicy,
        message_seconds: float,
        keep: int = 500,
    ) -> None:
        self.ua = ua
        self.number = number
        self.policy = policy
        self.message_seconds = message_seconds
        self.deposits: list[Deposit] = []
        self._keep = keep
        self._open: dict[DialogId, Deposit] = {}
        self._version = 1

    def takes(self, invite: Request) -> bool:
        """Whether the INVITE calls the platform's number."""
        text = uri_number(invite.uri)
        if not text:
            return False
        return self.policy.classify(self.policy.clean(text))[1] == self.number

    def _sdp(self) -> bytes:
        self._version += 1
        return session(VOICEMAIL_OWNER, self._version, 32000, Direction.SENDRECV)

    def incoming(self, call: IncomingCall) -> None:
        invite = call.invite
        diverted = forwarded_of(invite, self.policy)
        caller = None if identity_withheld(invite) else caller_of(invite, self.policy)
        deposit = Deposit(
            mailbox=diverted.by if diverted else None,
            reason=diverted.reason if diverted else None,
            caller=caller,
            sip_call_id=invite.call_id,
            started=self.ua.scheduler.now(),
        )
        self.ua.answer(call, body=self._sdp(), content_type=SDP)
        self.deposits.append(deposit)
        del self.deposits[: -self._keep]
        if call.dialog is not None:
            dialog = call.dialog
            self._open[dialog.id] = deposit
            self.ua.scheduler.call_later(self.message_seconds, lambda: self._recorded(dialog))

    def _recorded(self, dialog: Dialog) -> None:
        if dialog.id in self._open:
            self.ua.bye(dialog)

    def owns(self, dialog: Dialog) -> bool:
        return dialog.id in self._open

    def dialog_ended(self, dialog: Dialog) -> None:
        deposit = self._open.pop(dialog.id, None)
        if deposit is not None:
            deposit.ended = self.ua.scheduler.now()

    def offer(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        if dialog.id in self._open:
            return Answer(self._sdp(), SDP)
        return None

    def of_mailbox(self, number: E164) -> list[Deposit]:
        return [d for d in self.deposits if d.mailbox == number]

    def view(self) -> dict[str, object]:
        return {
            "number": self.number.national(),
            "e164": self.number.value,
            "deposits": [d.view() for d in self.deposits],
        }
