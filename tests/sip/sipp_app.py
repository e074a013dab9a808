"""The small application SIPp calls in ``tests/test_sipp.py``: a :class:`SipStack` on loopback
whose transaction user is the UA core (:class:`UserAgent`), driven by a :class:`Script`.

Out of dialog it answers OPTIONS (200 with ``Allow``, ``Accept``, ``Supported``, as the
service's :class:`OptionsResponder` does) and takes INVITEs as the script says: challenge them
with Digest until the credentials verify, ring (180), answer (200 with an SDP answer), or do
neither (so the caller has to CANCEL); once a call is confirmed by its ACK it may hang up after
a delay (BYE from this side). Everything else is the UA core's: ACK, BYE, CANCEL (200 and 487),
re-INVITE (200), in-dialog checks."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.digest_client import UserSecret
from fleet.sip.digest_compute import MD5
from fleet.sip.digest_server import DigestServer
from fleet.sip.message import Request
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import SipStack
from fleet.sip.transaction_server import InviteServerTransaction, ServerTransaction
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.ua_calls import IncomingCall, IncomingState
from fleet.sip.ua_core import UserAgent
from fleet.sip.ua_messages import uas_response
from fleet.sip.validate import UasPolicy

LOOPBACK = "127.0.0.1"
REALM = "fleetpbx.test"
USERNAME = "alice"
PASSWORD = "wonderland"


def sdp(port: int) -> bytes:
    """A small audio session description on loopback (the offer of our caller, the answer of
    our callee)."""
    lines = [
        "v=0",
        f"o=fleetpbx 1 1 IN IP4 {LOOPBACK}",
        "s=-",
        f"c=IN IP4 {LOOPBACK}",
        "t=0 0",
        f"m=audio {port} RTP/AVP 0",
        "a=rtpmap:0 PCMU/8000",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


@dataclass
class Script:
    """How the application treats a new INVITE. ``hang_up_after``: seconds between the ACK of
    its 200 and our BYE (``None``: wait for the caller's BYE). ``digest``: challenge (401)
    until the INVITE carries valid credentials for ``alice``."""

    ring: bool = True
    answer: bool = True
    hang_up_after: float | None = None
    digest: bool = False


@dataclass
class Tally:
    """What the application saw, for the tests' assertions."""

    invites: int = 0
    challenged: int = 0
    answered: int = 0
    confirmed: int = 0
    options: int = 0
    hung_up: int = 0
    byes_received: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class SippApp(UserAgent):
    """The UA core with the script's choices and an OPTIONS answer outside dialogs."""

    def __init__(self, stack: SipStack, script: Script) -> None:
        port = stack.listening[0]
        super().__init__(
            stack.scheduler, stack.port, Peer(UDP, LOOPBACK, port), "fleetpbx", keep_history=True
        )
        self.script = script
        self.tally = Tally()
        self.options = OptionsResponder(policy=UasPolicy(), warn_agent=LOOPBACK)
        self.digest = DigestServer(
            REALM,
            secrets.token_bytes(32),
            stack.scheduler.now,
            secrets.token_bytes,
            algorithms=(MD5,),
        )
        self._hangups: set[DialogId] = set()
        self.on_incoming = self._incoming

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        outside = to is None or to.tag is None
        if outside and request.method == "OPTIONS":
            self.tally.options += 1
            transaction.respond(self.options.options_response(request))
            return
        if not outside and request.method == "BYE":
            self.tally.byes_received += 1
        super().on_request(transaction, request)

    def _incoming(self, call: IncomingCall) -> None:
        self.tally.invites += 1
        script = self.script
        if script.digest and not self._authenticated(call):
            return
        if script.ring:
            self.ring(call)
        if script.answer:
            self.answer(call, body=sdp(self.address.port + 2), content_type="application/sdp")
            self.tally.answered += 1

    def _authenticated(self, call: IncomingCall) -> bool:
        verdict = self.digest.verify(call.invite, self._lookup)
        if verdict.ok:
            return True
        self.tally.challenged += 1
        status = verdict.status if verdict.status == 400 else self.digest.status
        response = uas_response(
            call.invite,
            status,
            local_tag=call.local_tag,
            reason="Unauthorized" if status == 401 else "Bad Request",
        )
        if status == 401:
            for name, value in self.digest.challenges(stale=verdict.stale):
                response.headers.add(name, value)
        call.state = IncomingState.REJECTED
        call.final_status = status
        call.transaction.respond(response)
        return False

    @staticmethod
    def _lookup(username: str) -> UserSecret | None:
        return UserSecret(USERNAME, PASSWORD) if username == USERNAME else None

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        super().on_ack(request, invite)
        dialog_id = DialogId.of_received(request)
        dialog = None if dialog_id is None else self.dialogs.get(dialog_id)
        if dialog is None or dialog.id in self._hangups:
            return
        if any(c.dialog is dialog and c.state is IncomingState.CONFIRMED for c in self.incoming):
            self._hangups.add(dialog.id)
            self.tally.confirmed += 1
            delay = self.script.hang_up_after
            if delay is not None:
                self._scheduler.call_later(delay, lambda: self._hang_up(dialog))

    def _hang_up(self, dialog: Dialog) -> None:
        if dialog.state is not DialogState.TERMINATED:
            self.tally.hung_up += 1
            self.bye(dialog)


@asynccontextmanager
async def sipp_app(script: Script) -> AsyncIterator[SippApp]:
    """The stack on a free UDP/TCP port of 127.0.0.1 with a :class:`SippApp` as its TU."""
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()))
    await stack.start()
    try:
        app = SippApp(stack, script)
        stack.attach(app)
        yield app
    finally:
        await stack.stop()
