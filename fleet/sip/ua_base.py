"""What the UAC and UAS cores share: the dialogs, the 2xx awaiting their ACK, the re-INVITEs
pending, the session timers (RFC 4028), the reliable provisionals (RFC 3262) of the INVITEs we
answer, the application's offer hook, and ending a dialog (BYE)."""

from __future__ import annotations

import random as random_module
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.headers import Headers
from fleet.sip.linger import Linger
from fleet.sip.message import Request
from fleet.sip.reliable import Rel100, ReliableProvisionals
from fleet.sip.session_timer import (
    TIMER,
    Refresher,
    SessionExpires,
    SessionTimer,
    SessionTimerConfig,
)
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transaction_ports import Scheduler, Transport
from fleet.sip.transaction_server import InviteServerTransaction
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import contact_value
from fleet.sip.ua_calls import (
    AnswerRetransmitter,
    IncomingCall,
    InDialogHook,
    OfferHook,
    OfferState,
    OutgoingCall,
    PendingOffer,
    ReInvite,
)
from fleet.sip.ua_listener import UaListener
from fleet.sip.ua_messages import uas_response

AckKey = tuple[str, str, str, int]
"""A 2xx's ACK: its dialog's Call-ID, local and remote tags, the INVITE's CSeq number (plain
strings and a number: the collector stops tracking the key)."""
SentAck = tuple[bytes, str, str, int]
"""An ACK sent, to send again: its bytes, and the transport, host and port it went to."""
InviteKey = tuple[str, str, int]
"""An initial INVITE of ours: Call-ID, From tag, CSeq number (what every fork's 2xx carries)."""


class UaBase(ABC):
    """One UA at ``address`` (its sent-by and Contact) as ``user``. ``random`` draws the §14.1
    glare delays ([0, 1)) and the first RSeq of our reliable provisionals. New incoming calls
    are appended to :attr:`incoming` and passed to ``on_incoming`` when set; the application
    rings, answers or rejects them. ``on_offer`` answers the offers of received re-INVITEs,
    UPDATEs and PRACKs (:data:`fleet.sip.ua_calls.OfferHook`); ``rel100`` is what our INVITEs
    say about reliable provisionals (we always support them as UAS). ``listener``
    (:class:`fleet.sip.ua_listener.UaListener`, also settable later) hears what happens to
    calls and dialogs.

    A call is forgotten once it is finished (rejected, cancelled, confirmed by its ACK or
    given up); with ``keep_history`` every call, outgoing call and re-INVITE or UPDATE also
    stays in :attr:`incoming`, :attr:`outgoing` and :attr:`reinvites` (for tests and tools:
    they grow without end), otherwise those lists stay empty."""

    layer: TransactionLayer

    def __init__(
        self,
        scheduler: Scheduler,
        transport: Transport,
        address: Peer,
        user: str,
        *,
        timers: TimerConfig | None = None,
        random: Callable[[], float] = random_module.random,
        on_incoming: Callable[[IncomingCall], None] | None = None,
        session: SessionTimerConfig | None = None,
        on_offer: OfferHook | None = None,
        rel100: Rel100 = Rel100.NONE,
        keep_history: bool = False,
        listener: UaListener | None = None,
    ) -> None:
        self.listener = listener
        self.address = address
        self.user = user
        self.contact = contact_value(user, address)
        self.timer_config = timers or TimerConfig()
        self.dialogs: dict[DialogId, Dialog] = {}
        self.incoming: list[IncomingCall] = []
        self.outgoing: list[OutgoingCall] = []
        self.reinvites: list[ReInvite] = []
        self.keep_history = keep_history
        self._unanswered: dict[InviteServerTransaction, IncomingCall] = {}  # not answered yet
        self.on_incoming = on_incoming
        self._scheduler = scheduler
        self._transport = transport
        self._random = random
        self._calls: dict[ClientTransaction, OutgoingCall | ReInvite] = {}
        self._acks: dict[AckKey, SentAck] = {}  # the 2xx ACKs sent, until timer M
        # answered initial INVITEs, until timer M: what a late fork's dialog is built from
        self._answered: dict[InviteKey, tuple[str, str, str]] = {}
        acks, answered = self._acks, self._answered
        self._acks_kept: Linger[AckKey] = Linger(
            scheduler, self.timer_config.m, lambda key: acks.pop(key, None)
        )
        self._answers_kept: Linger[InviteKey] = Linger(
            scheduler, self.timer_config.m, lambda key: answered.pop(key, None)
        )
        self._waiting_ack: dict[DialogId, dict[int, AnswerRetransmitter]] = {}
        self._pending: dict[DialogId, ReInvite] = {}
        self._offers: dict[DialogId, PendingOffer] = {}  # the peer's, answer deferred
        self.session_config = session
        self.session_timers: dict[DialogId, SessionTimer] = {}
        self.on_offer = on_offer
        self.on_in_dialog: InDialogHook | None = None
        self.rel100 = rel100
        self.reliable: dict[DialogId, ReliableProvisionals] = {}

    @property
    def timers(self) -> TimerConfig:
        return self.timer_config

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler the UA runs on (an application's timers for its calls use it too)."""
        return self._scheduler

    def retransmitter(self, dialog: Dialog, cseq: int) -> AnswerRetransmitter | None:
        waiting = self._waiting_ack.get(dialog.id)
        return None if waiting is None else waiting.get(cseq)

    @property
    def calls_held(self) -> int:
        """Calls, dialogs, 2xx waiting for their ACK, ACKs remembered, client transactions
        of ours and session timers this UA still holds (zero once everything has ended)."""
        return (
            len(self._unanswered)
            + len(self.dialogs)
            + len(self._waiting_ack)
            + len(self._acks)
            + len(self._answered)
            + len(self._calls)
            + len(self._pending)
            + len(self._offers)
            + len(self.session_timers)
            + len(self.reliable)
        )

    def use_layer(self, layer: TransactionLayer) -> None:
        """Send through ``layer`` (a :class:`fleet.sip.stack.SipStack`'s, see its ``attach``)
        instead of the UA's own; ``layer`` must deliver to this UA, directly or through a TU
        in front of it."""
        self.layer = layer

    def bye(self, dialog: Dialog, *, headers: Iterable[tuple[str, str]] = ()) -> None:
        """A BYE ends ``dialog`` (nothing when it has ended already), with extra ``headers``
        (a Reason); the listener hears."""
        if dialog.state is DialogState.TERMINATED:
            return
        request, destination = dialog.create_request("BYE", self.address, branch=new_branch)
        for name, value in headers:
            request.headers.add(name, value)
        self._end(dialog)
        self.layer.send_request(request, destination)
        if self.listener is not None:
            self.listener.dialog_ended(dialog)

    def send_in_dialog(self, request: Request, destination: Peer) -> ClientTransaction:
        """A request built by the application from a dialog (e.g. with a chosen CSeq)."""
        return self.layer.send_request(request, destination)

    def request_in(
        self,
        dialog: Dialog,
        method: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> ClientTransaction | None:
        """A non-INVITE request in ``dialog`` (INFO, REFER, NOTIFY …: its responses are not
        followed); None once the dialog has ended."""
        if dialog.state is DialogState.TERMINATED:
            return None
        request, destination = dialog.create_request(
            method, self.address, branch=new_branch, body=body, content_type=content_type
        )
        for name, value in headers:
            request.headers.add(name, value)
        return self.layer.send_request(request, destination)

    @abstractmethod
    def _refresh_session(self, dialog: Dialog) -> None:
        """The refresh of a session we refresh (RFC 4028 §10); the UAC core sends it."""

    def _session_start(self, dialog: Dialog, expires: SessionExpires, *, we_sent: bool) -> None:
        """RFC 4028 §7.2, §9: ``expires`` is the Session-Expires of a 2xx to a transaction we
        sent (``we_sent``: we were its UAC) or answered; the refresher it names refreshes."""
        timer = self.session_timers.get(dialog.id)
        if timer is None:
            timer = SessionTimer(
                self._scheduler,
                lambda: self._refresh_session(dialog),
                lambda: self.bye(dialog),
            )
            self.session_timers[dialog.id] = timer
        timer.restart(expires.interval, ((expires.refresher or "uas") == "uac") == we_sent)

    def _session_headers(
        self, dialog: Dialog, headers: Headers, interval: int | None = None
    ) -> None:
        """A re-INVITE or UPDATE of ours in a timed session carries it on (§7.4): the refresher
        stays the side that refreshes (we are this transaction's UAC). ``interval``: the one a
        422 asked for, which is also the Min-SE of the retry (§7.1)."""
        timer = self.session_timers.get(dialog.id)
        if timer is None or self.session_config is None:
            return
        refresher: Refresher = "uac" if timer.we_refresh else "uas"
        asked = timer.interval if interval is None else interval
        headers.add("Session-Expires", str(SessionExpires(asked, refresher)))
        headers.add("Min-SE", str(max(self.session_config.min_se, interval or 0)))
        headers.add("Supported", TIMER)

    def _end(self, dialog: Dialog) -> None:
        dialog.state = DialogState.TERMINATED
        self.dialogs.pop(dialog.id, None)
        self._pending.pop(dialog.id, None)
        offer = self._offers.pop(dialog.id, None)
        if offer is not None:  # §15.1.2: a request pending in the dialog gets 487
            offer.state = OfferState.ENDED
            offer.transaction.respond(uas_response(offer.request, 487, local_tag=None))
        timer = self.session_timers.pop(dialog.id, None)
        if timer is not None:
            timer.stop()
        provisionals = self.reliable.pop(dialog.id, None)
        if provisionals is not None:
            provisionals.finish()
        waiting = self._waiting_ack.pop(dialog.id, None)
        if waiting is not None:
            for retransmitter in waiting.values():
                retransmitter.stop()

    def _register(self, dialog: Dialog) -> Dialog:
        self.dialogs[dialog.id] = dialog
        return dialog
