"""netsim's parts put together on one user agent (whatever runs it: the SIP stack in
service, a virtual clock in tests): the listener that routes the UA's events to the legs, the
S-CSCF, the handsets, the media server, the voicemail platform, and the :class:`Netsim` the
control API drives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.dialog import Dialog
from fleet.sip.message import Request
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import Answer, Deferred, IncomingCall, Refusal
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.handset import Behaviour
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls
from simulators.netsim.media import MediaServer, is_media_uri
from simulators.netsim.network import Netsim
from simulators.netsim.scscf import Scscf
from simulators.netsim.sipbook import SipBook
from simulators.netsim.voicemail import DEFAULT_MESSAGE_SECONDS, VoicemailPlatform


def assemble(
    ua: NetsimAgent,
    *,
    fleetpbx: Peer,
    policy: NumberPolicy,
    view: FleetView,
    load_fleets: Callable[[], Awaitable[FleetView]],
    behaviour: Behaviour,
    announcement_seconds: float,
    voicemail: E164 | None = None,
    message_seconds: float = DEFAULT_MESSAGE_SECONDS,
) -> Netsim:
    """netsim on ``ua`` (its listener and offer hook are set here), the handsets of ``view``;
    with ``voicemail`` (the deployment's voicemail_number) the voicemail platform answering
    there, hanging up after ``message_seconds``."""
    book = SipBook(ua)
    ua.listener = book
    ua.on_offer = book.on_offer
    ua.on_acked = book.acked
    handsets = Handsets(behaviour=behaviour)
    handsets.sync(view)
    calls = Calls(now=ua.scheduler.now)
    media = MediaServer(ua, announcement_seconds=announcement_seconds)
    platform = (
        None
        if voicemail is None
        else VoicemailPlatform(ua, number=voicemail, policy=policy, message_seconds=message_seconds)
    )
    netsim = Netsim(
        handsets=handsets,
        calls=calls,
        scscf=Scscf(
            ua=ua,
            book=book,
            calls=calls,
            handsets=handsets,
            fleets=lambda: netsim.view,
            policy=policy,
            fleetpbx=fleetpbx,
        ),
        media=media,
        policy=policy,
        load_fleets=load_fleets,
        view=view,
        voicemail=platform,
    )

    def on_call(call: IncomingCall) -> None:
        if is_media_uri(call.invite):
            media.incoming(call)
        elif platform is not None and platform.takes(call.invite):
            platform.incoming(call)
        else:
            netsim.scscf.incoming(call)

    def ended(dialog: Dialog) -> None:
        if platform is not None and platform.owns(dialog):
            platform.dialog_ended(dialog)
        else:
            media.dialog_ended(dialog)

    def offer(dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        if platform is not None and platform.owns(dialog):
            return platform.offer(dialog, request)
        return media.offer(dialog, request)

    book.on_call = on_call
    book.others_ended = ended
    book.others_offer = offer
    return netsim
