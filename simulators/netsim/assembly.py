"""netsim's parts put together on one user agent (whatever runs it: the SIP stack in
service, a virtual clock in tests): the listener that routes the UA's events to the legs, the
S-CSCF, the handsets, the media server, and the :class:`Netsim` the control API drives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fleet.core.numbering import NumberPolicy
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import IncomingCall
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.handset import Behaviour
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls
from simulators.netsim.media import MediaServer, is_media_uri
from simulators.netsim.network import Netsim
from simulators.netsim.scscf import Scscf
from simulators.netsim.sipbook import SipBook


def assemble(
    ua: NetsimAgent,
    *,
    fleetpbx: Peer,
    policy: NumberPolicy,
    view: FleetView,
    load_fleets: Callable[[], Awaitable[FleetView]],
    behaviour: Behaviour,
    announcement_seconds: float,
) -> Netsim:
    """netsim on ``ua`` (its listener and offer hook are set here), the handsets of ``view``."""
    book = SipBook(ua)
    ua.listener = book
    ua.on_offer = book.on_offer
    ua.on_acked = book.acked
    handsets = Handsets(behaviour=behaviour)
    handsets.sync(view)
    calls = Calls(now=ua.scheduler.now)
    media = MediaServer(ua, announcement_seconds=announcement_seconds)
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
    )

    def on_call(call: IncomingCall) -> None:
        if is_media_uri(call.invite):
            media.incoming(call)
        else:
            netsim.scscf.incoming(call)

    book.on_call = on_call
    book.others_ended = media.dialog_ended
    book.others_offer = media.offer
    return netsim
