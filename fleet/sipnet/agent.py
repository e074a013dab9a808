"""The user agent of the SIP network adapter: a :class:`fleet.sip.ua_core.UserAgent` whose
listener (:class:`fleet.sip.ua_listener.UaListener`) is the adapter. It hears every response to
an INVITE we sent and its failure, an incoming INVITE ended by the caller's CANCEL (or by the
UA itself), a dialog ended by either side; it sends initial INVITEs with headers of its choice
(From, P-Asserted-Identity, Privacy, correlation) and final responses with their standard
reason phrases (:data:`fleet.sip.ua_messages.REASON_PHRASES`).

For the trunks (:mod:`fleet.sipnet.trunks`): a ``gate`` sees every request outside a dialog
first and may answer it itself (REGISTER, a PBX's INVITE challenged or refused); a 401/407 to
an initial INVITE is answered once with the lines ``credentials`` gives (the INVITE goes again,
next CSeq, new branch, and the listener hears only the retried INVITE's responses); ``probe``
sends an out-of-dialog OPTIONS and reports its final response, or None on timer F or a
transport error.

For offers relayed before the answer (:mod:`fleet.sipnet.early_offers`): the offer hook hears
every PRACK (``hooks_every_prack``), ``prack`` sends a PRACK of the adapter's and reports its
final response (None: timed out), and each of ``ack_listeners`` hears each ACK received (its
answer: a late offer's, an offerless re-INVITE's relayed by :mod:`fleet.sipnet.relay`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from fleet.sip.dialog import Dialog, glare_retry_delay
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.reliable import RAck
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction, NonInviteClientState
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transaction_server import InviteServerTransaction, ServerTransaction
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import new_call_id, via_value
from fleet.sip.ua_calls import OutgoingCall
from fleet.sip.ua_core import UserAgent
from fleet.sip.ua_listener import UaListener

AgentListener = UaListener
AUTHORIZATIONS = ("Authorization", "Proxy-Authorization")

Credentials = Callable[[OutgoingCall, Response], list[tuple[str, str]] | None]
"""The authorization lines answering a 401/407 to this call's INVITE, None when it has none."""

Probed = Callable[[Response | None], None]
"""An OPTIONS probe's final response, or None (timer F, transport error); a PRACK's too."""


class RequestGate(Protocol):
    def screen(self, transaction: ServerTransaction, request: Request) -> bool:
        """True when the gate answered ``request`` (outside a dialog) itself."""
        ...


class FleetAgent(UserAgent):
    """A :class:`UserAgent` reporting to its listener, set once the adapter exists."""

    hooks_every_prack = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ack_listeners: list[Callable[[Request], None]] = []
        self.gate: RequestGate | None = None
        self.credentials: Credentials | None = None
        self._probes: dict[TransactionBase, Probed] = {}

    def attach(self, listener: AgentListener) -> None:
        self.listener = listener

    @property
    def scheduler(self) -> Scheduler:
        return self._scheduler

    def invite_with(
        self,
        uri: str,
        destination: Peer,
        *,
        local_party: str,
        headers: Iterable[tuple[str, str]],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> OutgoingCall:
        """An initial INVITE from ``local_party`` (a From value without tag; ours is added)
        with extra ``headers``. The agent asks for no session timer nor 100rel."""
        return self.invite(
            uri,
            destination,
            local_party=local_party,
            headers=headers,
            body=body,
            content_type=content_type,
        )

    def later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        """``callback`` on the agent's scheduler after ``delay`` seconds (0: once the current
        message has been handled)."""
        return self._scheduler.call_later(delay, callback)

    def glare_delay(self, dialog: Dialog) -> float:
        """RFC 3261 §14.1: how long to wait before a request of ours refused 491 in
        ``dialog`` goes again."""
        return glare_retry_delay(dialog.is_caller, self._random)

    # -- OPTIONS probes ----------------------------------------------------------------------

    def probe(self, uri: str, destination: Peer, on_result: Probed) -> None:
        """An OPTIONS to ``uri`` at ``destination``; ``on_result`` hears how it ended."""
        headers = Headers()
        headers.add("Via", via_value(self.address, destination, new_branch()))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<sip:{self.user}@{self.address.host}>;tag={new_tag()}")
        headers.add("To", f"<{uri}>")
        headers.add("Call-ID", new_call_id(self.address.host))
        headers.add("CSeq", "1 OPTIONS")
        headers.add("Contact", self.contact)
        headers.add("Accept", "application/sdp")
        transaction = self.layer.send_request(Request("OPTIONS", uri, headers, b""), destination)
        self._probes[transaction] = on_result
        if transaction.state is NonInviteClientState.TERMINATED:  # its first send failed
            self.later(0, lambda: self.on_timeout(transaction))

    def prack(
        self,
        call: OutgoingCall,
        dialog: Dialog,
        rack: RAck,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        on_final: Probed,
    ) -> None:
        """A PRACK of ``call``'s reliable provisional ``rack`` in its early ``dialog`` (the
        call's ``on_reliable`` handed it over); ``on_final`` hears its final response."""
        transaction = self._send_prack(call, dialog, rack, body=body, content_type=content_type)
        self._probes[transaction] = on_final
        if transaction.state is NonInviteClientState.TERMINATED:  # its first send failed
            self.later(0, lambda: self.on_timeout(transaction))

    # -- the UA core, with the gate, the probes and the credentials ---------------------------

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        super().on_ack(request, invite)
        for listener in self.ack_listeners:
            listener(request)

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        outside = to is None or to.tag is None
        if outside and self.gate is not None and self.gate.screen(transaction, request):
            return
        super().on_request(transaction, request)

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        if transaction in self._probes:
            if response.status >= 200:
                self._probes.pop(transaction)(response)
            return
        super().on_response(transaction, response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        probed = self._probes.pop(transaction, None)
        if probed is not None:
            probed(None)
            return
        super().on_timeout(transaction)

    def _initial_response(self, call: OutgoingCall, response: Response) -> None:
        if response.status in (401, 407) and self._authenticate(call, response):
            return
        super()._initial_response(call, response)

    def _authenticate(self, call: OutgoingCall, response: Response) -> bool:
        """Answer the challenge once: never for an INVITE that already carried credentials."""
        cseq = call.invite.cseq
        if self.credentials is None or call.cancel_wanted or cseq is None:
            return False
        if any(call.invite.headers.get(name) for name in AUTHORIZATIONS):
            return False
        lines = self.credentials(call, response)
        if not lines:
            return False
        headers = Headers(list(call.invite.headers))
        peer = call.transaction.peer
        headers.set("Via", via_value(self.address, peer, new_branch()))
        headers.set("CSeq", f"{cseq.number + 1} INVITE")
        for name, value in lines:
            headers.add(name, value)
        invite = Request("INVITE", call.invite.request_uri, headers, call.invite.body)
        call.invite, call.transaction = invite, self.layer.send_request(invite, peer)
        call.provisional_seen = False
        self._calls[call.transaction] = call
        return True
