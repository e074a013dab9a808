"""The legs netsim has over SIP with FleetPBX: an INVITE it received (:class:`SipInLeg`, the
caller's side: what its peer hears is answered back as provisionals, the 200 or a refusal — a
handset's with its cell, P-Access-Network-Info, as a terminating UE's are) and
an INVITE it sent (:class:`SipOutLeg`, the callee's side: its responses go to its peer). Both
relay BYE, CANCEL and new offers (hold) between FleetPBX and their peer, through the stack's
user agent (its public API only)."""

from __future__ import annotations

from typing import Protocol

from fleet.sip.dialog import Dialog
from fleet.sip.message import Response
from fleet.sip.ua_calls import IncomingCall, IncomingState, OutgoingCall, OutgoingState, ReInvite
from fleet.sip.ua_core import UserAgent
from simulators.netsim.cells import HEADER, access_network_info
from simulators.netsim.handset_leg import HandsetLeg
from simulators.netsim.legs import Leg, LegKind, LegState, NetCall, OfferDone
from simulators.netsim.sdp import SDP, direction_of

RELAYED_PROVISIONALS = (180, 181, 183)


class DialogBook(Protocol):
    """Where a SIP leg says which dialog is its, so that the UA's events reach it."""

    def bind(self, dialog: Dialog, leg: Leg) -> None: ...

    def forget(self, leg: Leg) -> None: ...


class _SipLeg(Leg):
    def __init__(
        self, call: NetCall, ua: UserAgent, book: DialogBook, *, role: str, party: str
    ) -> None:
        super().__init__(call, role=role, party=party)
        self.ua = ua
        self.book = book
        self.sip_call_id: str | None = None
        self._offered: ReInvite | None = None  # our offerless re-INVITE whose 2xx awaits its ACK

    @property
    def dialog(self) -> Dialog | None:
        raise NotImplementedError

    def closed(self) -> None:
        self.peer_ack(b"")  # a 2xx waiting for its answer is ACKed all the same
        self.book.forget(self)

    def peer_offer(self, body: bytes, done: OfferDone, *, update: bool = False) -> None:
        dialog = self.dialog
        if self.ended or dialog is None or self.ua.offer_in_progress(dialog):
            done(None, 491 if not self.ended and dialog is not None else 481)
            return

        offerless = not body and not update
        # FleetPBX's offer through netsim's SIP-to-SIP hop: a 491 goes back to FleetPBX, which
        # retries after its own §14.1 delay (glare resolves end to end, as through a proxy); a
        # handset's own offer is retried by the UA
        retry_glare = not isinstance(self.peer, _SipLeg)

        def final(sent: ReInvite, response: Response | None) -> None:
            if response is not None and response.status < 300:
                if offerless:  # its offer goes back; the answer comes in our ACK (peer_ack)
                    self._offered = sent
                    if self.ended:  # too late: ACKed as it is
                        self.peer_ack(b"")
                done(response.body, 200)
            else:
                done(None, 500 if response is None else response.status)

        content_type = SDP if body else None
        if update:
            self.ua.update(
                dialog,
                body=body,
                content_type=content_type,
                on_final=final,
                retry_glare=retry_glare,
            )
        else:
            self.ua.reinvite(
                dialog,
                body=body,
                content_type=content_type,
                on_final=final,
                ack_later=offerless,
                retry_glare=retry_glare,
            )
        if body:  # the far end of this leg is put on hold (or taken off it)
            self.held = direction_of(body).holding

    def peer_ack(self, body: bytes) -> None:
        """The answer to the offer of our offerless re-INVITE's 2xx: in our ACK."""
        offered, self._offered = self._offered, None
        if offered is not None:
            self.ua.ack_answer(offered, body, SDP if body else None)

    def view(self) -> dict[str, object]:
        shown = super().view()
        shown["sip_call_id"] = self.sip_call_id
        return shown


class SipInLeg(_SipLeg):
    """FleetPBX's INVITE to netsim: the caller's side of this leg's peer."""

    kind = LegKind.SIP_IN

    def __init__(
        self, call: NetCall, ua: UserAgent, book: DialogBook, incoming: IncomingCall, party: str
    ) -> None:
        super().__init__(call, ua, book, role="caller", party=party)
        self.incoming = incoming
        self.sip_call_id = incoming.invite.call_id

    @property
    def dialog(self) -> Dialog | None:
        return self.incoming.dialog

    @property
    def offer(self) -> bytes:
        return self.incoming.invite.body

    def _bind(self) -> None:
        if self.incoming.dialog is not None:
            self.book.bind(self.incoming.dialog, self)

    def peer_progress(self, status: int, body: bytes) -> None:
        if self.ended or self.state is LegState.ANSWERED:
            return
        status = status if status in RELAYED_PROVISIONALS else 180
        self.ua.ring(
            self.incoming,
            status,
            body=body,
            content_type=SDP if body else None,
            headers=self._where(),
        )
        self.state = LegState.RINGING
        self._bind()

    def peer_answered(self, body: bytes) -> None:
        if self.ended or self.state is LegState.ANSWERED:
            return
        self.ua.answer(
            self.incoming, body=body, content_type=SDP if body else None, headers=self._where()
        )
        self.state = LegState.ANSWERED
        self._bind()

    def _where(self) -> list[tuple[str, str]]:
        """A handset called is a terminating UE: its cell in its 18x and 2xx (TS 24.229)."""
        peer = self.peer
        if isinstance(peer, HandsetLeg):
            return [(HEADER, access_network_info(peer.handset))]
        return []

    def peer_refused(self, status: int) -> None:
        if self.ended:
            return
        self.ua.reject(self.incoming, status)
        self.end(status)

    def peer_gone(self) -> None:
        if self.ended:
            return
        dialog = self.incoming.dialog
        if self.incoming.state in (IncomingState.PROCEEDING, IncomingState.EARLY):
            self.ua.reject(self.incoming, 487)
            self.end(487)
            return
        self.end()
        if dialog is not None:
            self.ua.bye(dialog)

    # -- from the UA's listener -----------------------------------------------------------

    def cancelled(self) -> None:
        """FleetPBX CANCELled its INVITE (the UA answered 487)."""
        if not self.ended:
            self.end(487)
            if self.peer is not None:
                self.peer.peer_gone()

    def hung_up(self) -> None:
        """A BYE from FleetPBX."""
        if not self.ended:
            self.end()
            if self.peer is not None:
                self.peer.peer_gone()


class SipOutLeg(_SipLeg):
    """netsim's INVITE to FleetPBX: the callee's side of this leg's peer."""

    kind = LegKind.SIP_OUT

    def __init__(self, call: NetCall, ua: UserAgent, book: DialogBook, party: str) -> None:
        super().__init__(call, ua, book, role="callee", party=party)
        self.outgoing: OutgoingCall | None = None

    def sent(self, outgoing: OutgoingCall) -> None:
        self.outgoing = outgoing
        self.sip_call_id = outgoing.invite.call_id

    @property
    def dialog(self) -> Dialog | None:
        return None if self.outgoing is None else self.outgoing.dialog

    def peer_progress(self, status: int, body: bytes) -> None:
        raise AssertionError("a callee side hears no progress")

    def peer_answered(self, body: bytes) -> None:
        raise AssertionError("a callee side hears no answer")

    def peer_refused(self, status: int) -> None:
        raise AssertionError("a callee side hears no refusal")

    def peer_gone(self) -> None:
        if self.ended or self.outgoing is None:
            return
        answered = self.state is LegState.ANSWERED
        self.end(None if answered else 487)
        if answered and self.outgoing.dialog is not None:
            self.ua.bye(self.outgoing.dialog)
        else:
            self.ua.cancel(self.outgoing)

    # -- from the UA's listener -----------------------------------------------------------

    def progress(self, response: Response) -> None:
        status = response.status
        if self.ended or self.peer is None:
            return
        if self.outgoing is not None and self.outgoing.dialog is not None:
            self.book.bind(self.outgoing.dialog, self)
        if status < 200:
            if status > 100 and self.state is LegState.CALLING:
                self.state = LegState.RINGING
            if status > 100:
                self.peer.peer_progress(status, response.body)
        elif status < 300:
            outgoing = self.outgoing
            confirmed = outgoing is not None and outgoing.state is OutgoingState.CONFIRMED
            if self.state is not LegState.ANSWERED and confirmed:
                self.state = LegState.ANSWERED
                self.peer.peer_answered(response.body)
        else:
            self.end(status)
            self.peer.peer_refused(status)

    def failed(self) -> None:
        if not self.ended and self.peer is not None:
            self.end(408)
            self.peer.peer_refused(408)

    def hung_up(self) -> None:
        if not self.ended:
            self.end()
            if self.peer is not None:
                self.peer.peer_gone()
