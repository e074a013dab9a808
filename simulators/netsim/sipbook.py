"""netsim's user agent listener: which leg each INVITE and dialog of the UA belongs to, so
that what the UA hears (responses, CANCEL, BYE, new offers) reaches that leg. New INVITEs go
to ``on_call`` (the S-CSCF or the media server, chosen by the composition)."""

from __future__ import annotations

from collections.abc import Callable

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import (
    DEFER,
    Answer,
    Deferred,
    IncomingCall,
    OutgoingCall,
    Refusal,
)
from fleet.sip.ua_core import UserAgent
from simulators.netsim.legs import Leg
from simulators.netsim.sdp import SDP
from simulators.netsim.sip_legs import SipInLeg, SipOutLeg

DialogHook = Callable[[Dialog], None]
OfferHandler = Callable[[Dialog, Request], Answer | Refusal | Deferred | None]


class SipBook:
    def __init__(self, ua: UserAgent) -> None:
        self.ua = ua
        self.on_call: Callable[[IncomingCall], None] = lambda call: ua.reject(call, 480)
        self.others_ended: DialogHook = lambda dialog: None  # dialogs of no leg (media)
        self.others_offer: OfferHandler = lambda dialog, request: None
        self._incoming: dict[IncomingCall, SipInLeg] = {}
        self._outgoing: dict[OutgoingCall, SipOutLeg] = {}
        self._dialogs: dict[DialogId, Leg] = {}
        self._leg_dialogs: dict[str, DialogId] = {}
        # our 2xx to an offerless re-INVITE made an offer: its ACK's answer goes to the peer
        self._acks_awaited: dict[DialogId, tuple[int, Leg]] = {}

    @property
    def held(self) -> int:
        """Entries held (zero once every leg has ended)."""
        held = len(self._incoming) + len(self._outgoing) + len(self._dialogs)
        return held + len(self._acks_awaited)

    # -- the legs' side -----------------------------------------------------------------

    def bind_incoming(self, call: IncomingCall, leg: SipInLeg) -> None:
        self._incoming[call] = leg

    def bind_outgoing(self, call: OutgoingCall, leg: SipOutLeg) -> None:
        if not leg.ended:
            self._outgoing[call] = leg

    def bind(self, dialog: Dialog, leg: Leg) -> None:
        if leg.ended:
            return
        self._dialogs[dialog.id] = leg
        self._leg_dialogs[leg.id] = dialog.id

    def forget(self, leg: Leg) -> None:
        if isinstance(leg, SipInLeg):
            self._incoming.pop(leg.incoming, None)
        if isinstance(leg, SipOutLeg) and leg.outgoing is not None:
            self._outgoing.pop(leg.outgoing, None)
        dialog_id = self._leg_dialogs.pop(leg.id, None)
        if dialog_id is not None and self._dialogs.get(dialog_id) is leg:
            del self._dialogs[dialog_id]
        if dialog_id is not None and dialog_id in self._acks_awaited:
            del self._acks_awaited[dialog_id]

    # -- the UA's listener ----------------------------------------------------------------

    def incoming(self, call: IncomingCall) -> None:
        self.on_call(call)

    def incoming_ended(self, call: IncomingCall) -> None:
        leg = self._incoming.get(call)
        if leg is not None:
            leg.cancelled()

    def progress(self, call: OutgoingCall, response: Response) -> None:
        leg = self._outgoing.get(call)
        if leg is not None:
            leg.progress(response)

    def failed(self, call: OutgoingCall) -> None:
        leg = self._outgoing.get(call)
        if leg is not None:
            leg.failed()

    def dialog_ended(self, dialog: Dialog) -> None:
        leg = self._dialogs.get(dialog.id)
        if leg is None:
            self.others_ended(dialog)
        elif isinstance(leg, SipInLeg | SipOutLeg):
            leg.hung_up()

    # -- offers in a dialog (hold, retrieve) ----------------------------------------------

    def on_offer(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        leg = self._dialogs.get(dialog.id)
        if leg is None:
            return self.others_offer(dialog, request)
        peer = leg.peer
        if request.method == "PRACK":
            return None
        if peer is None or peer.ended:
            return Refusal(481) if request.method == "INVITE" else None
        outcome: list[Answer | Refusal] = []
        sync = True
        offerless = request.method == "INVITE" and not request.body
        cseq = request.cseq

        def done(answer: bytes | None, status: int) -> None:
            result: Answer | Refusal = (
                Answer(answer, SDP if answer else None) if answer is not None else Refusal(status)
            )
            awaits = offerless and answer is not None and cseq is not None and not leg.ended
            if sync:
                outcome.append(result)
            else:
                pending = self.ua.pending_offer(dialog)
                sent = pending is not None and self.ua.answer_offer(pending, result)
                if awaits and not sent:  # FleetPBX's re-INVITE is over (CANCEL, BYE)
                    awaits = False
                    if leg.peer is not None:
                        leg.peer.peer_ack(b"")  # the other side's 2xx is ACKed all the same
            if awaits and cseq is not None:
                self._acks_awaited[dialog.id] = (cseq.number, leg)  # our 2xx offers

        peer.peer_offer(request.body, done, update=request.method == "UPDATE")
        sync = False
        return outcome[0] if outcome else DEFER

    def acked(self, ack: Request) -> None:
        """An ACK the UA received: the one of our 2xx to an offerless re-INVITE carries the
        answer to that 2xx's offer, relayed to the leg's peer (RFC 3725 through netsim)."""
        dialog_id, cseq = DialogId.of_received(ack), ack.cseq
        awaited = None if dialog_id is None else self._acks_awaited.get(dialog_id)
        if awaited is None or cseq is None or cseq.number != awaited[0]:
            return
        assert dialog_id is not None
        del self._acks_awaited[dialog_id]
        leg = awaited[1]
        if leg.peer is not None and not leg.peer.ended:
            leg.peer.peer_ack(ack.body)
