"""A company's PBX on its SIP trunk to FleetPBX, played by netsim (DESIGN §8, trunk profile):
one user agent of its own at the trunk's peer address (``pbxs`` opens it), with the trunk's
fixed numbers as its desks — handsets of kind ``fixed``, the same states and behaviours as
the mobiles'.

- FleetPBX's INVITE to a desk's number rings that desk (404 for a number that is not one of
  this trunk's desks); the desk's screen shows the caller and, for a call FleetPBX forwarded,
  whose call it was and why (Diversion / History-Info: :mod:`simulators.netsim.diverted`).
- A desk dials: an INVITE from the PBX's address straight to FleetPBX (no S-CSCF: a trunk
  call), the desk's number in From and P-Asserted-Identity; FleetPBX knows the trunk by that
  address (static trunks) and challenges it when the trunk has Digest credentials: a 407 is
  answered once with the trunk's user and secret when netsim could read the secret.
- Up, it answers FleetPBX's OPTIONS (counted); switched down, it answers nothing at all
  (:meth:`Pbx.drops`: requests are dropped before its transaction layer sees them, as a dead
  box would), so FleetPBX's keepalive takes the trunk out of service; desks cannot dial.
- A registration-mode trunk's PBX registers to FleetPBX (``pbx_register``), stops while down
  and registers again once up."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from enum import StrEnum

from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.trunks import Trunk
from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.message import Request, Response
from fleet.sip.options import OptionsResponder
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import IncomingCall, OutgoingCall
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.parties import caller_of, identity_withheld, uri_number
from fleet.sipnet.served import icid_of
from simulators.netsim.diverted import forwarded_of
from simulators.netsim.handset import Handset
from simulators.netsim.handset_leg import HandsetLeg
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls, LegState, NetCall, join
from simulators.netsim.pbx_register import Registration
from simulators.netsim.scscf import DIALLABLE, DialError, DialRefused
from simulators.netsim.sdp import SDP
from simulators.netsim.sip_legs import SipInLeg, SipOutLeg
from simulators.netsim.sipbook import SipBook

RandomBytes = Callable[[int], bytes]
NOT_A_DESK = 404
GONE = 503  # the cause of a call of a PBX that went


class PbxSwitch(StrEnum):
    """The switch of the control API: a PBX up answers, a PBX down answers nothing."""

    UP = "up"
    DOWN = "down"


class Pbx:
    def __init__(
        self,
        *,
        trunk: Trunk,
        ua: FleetAgent,
        address: Peer,
        options: OptionsResponder,
        calls: Calls,
        handsets: Handsets,
        fleets: Callable[[], FleetView],
        policy: NumberPolicy,
        fleetpbx: Peer,
        secret: str | None,
        random_bytes: RandomBytes = os.urandom,
        registration: Registration | None = None,
    ) -> None:
        self.trunk = trunk
        self.ua = ua
        self.address = address  # where it listens (the trunk's peer address)
        self.options = options
        self.calls = calls
        self.handsets = handsets
        self.fleets = fleets
        self.policy = policy
        self.fleetpbx = fleetpbx
        self.secret = secret
        self.switch = PbxSwitch.UP
        self.registration = registration  # a registration-mode trunk's PBX registers
        self.dropped = 0  # requests not answered while down
        self.book = SipBook(ua)
        self._legs: list[SipInLeg | SipOutLeg] = []  # its SIP legs (ended ones pruned)
        ua.listener = self.book
        ua.on_offer = self.book.on_offer
        self.book.on_call = self.incoming
        ua.credentials = self._credentials
        self._digest = DigestClient(self._prompt, random_bytes)

    # -- the switch ----------------------------------------------------------------------

    @property
    def up(self) -> bool:
        return self.switch is PbxSwitch.UP

    def set_switch(self, switch: PbxSwitch) -> None:
        """Up: answer (and register again at once); down: answer nothing, stop registering."""
        changed = switch is not self.switch
        self.switch = switch
        if self.registration is None or not changed:
            return
        if switch is PbxSwitch.UP:
            self.registration.start()
        else:
            self.registration.stop()

    def drops(self, message: Request, source: Peer) -> bool:
        """The transport's screen: while down, every request goes unanswered."""
        if self.up:
            return False
        self.dropped += 1
        return True

    @property
    def options_answered(self) -> int:
        return self.options.answered.get(200, 0)

    # -- the desks -----------------------------------------------------------------------

    def desk_numbers(self) -> Iterator[E164]:
        trunk = self.trunk
        for fixed in self.fleets().fixed():
            if fixed.fleet_id == trunk.fleet_id and fixed.trunk == trunk.name:
                yield fixed.number

    def desk(self, number: E164) -> Handset | None:
        """The desk of this number behind this PBX (None: not one of its desks)."""
        if number not in set(self.desk_numbers()):
            return None
        return self.handsets.get(number)

    # -- FleetPBX calls a desk ------------------------------------------------------------

    def incoming(self, incoming: IncomingCall) -> None:
        invite = incoming.invite
        text = uri_number(invite.uri)
        kind, number = self.policy.classify(self.policy.clean(text)) if text else (None, None)
        desk = self.desk(number) if number is not None and kind is not NumberClass.INVALID else None
        if desk is None or number is None:
            self.ua.reject(incoming, NOT_A_DESK)
            return
        call = self.calls.of_icid(icid_of(invite))
        caller = SipInLeg(call, self.ua, self.book, incoming, party=number.national())
        self.book.bind_incoming(incoming, caller)
        self._keep(caller)
        identity = None if identity_withheld(invite) else caller_of(invite, self.policy)
        callee = HandsetLeg(call, desk, role="callee", scheduler=self.ua.scheduler, other=identity)
        callee.forwarded = forwarded_of(invite, self.policy)
        join(caller, callee)
        callee.alert()

    # -- a desk dials -----------------------------------------------------------------------

    def dial(self, desk: Handset, dialled: str) -> NetCall:
        if not self.up:
            raise DialRefused(DialError.HANDSET_UNREACHABLE, f"its PBX ({self.trunk.name}) is down")
        if not desk.state.reachable:
            raise DialRefused(DialError.HANDSET_UNREACHABLE, desk.state.value)
        digits = self.policy.clean(dialled)
        if not DIALLABLE.fullmatch(digits):
            raise DialRefused(DialError.INVALID_NUMBER, f"{dialled!r}: digits, * and # only")
        call = self.calls.new()
        caller = HandsetLeg(
            call, desk, role="caller", scheduler=self.ua.scheduler, other=None, shows=digits
        )
        callee = SipOutLeg(call, self.ua, self.book, party=digits)
        self._keep(callee)
        join(caller, callee)
        host = self.address.host
        desk_uri = f"sip:{desk.number.value}@{host}"
        target = self.fleetpbx
        outgoing = self.ua.invite(
            f"sip:{digits.replace('#', '%23')}@{target.host}:{target.port};user=phone",
            target,
            body=caller.sdp(),
            content_type=SDP,
            local_party=f"<{desk_uri}>",
            headers=[("P-Asserted-Identity", f"<{desk_uri};user=phone>")],
        )
        callee.sent(outgoing)
        self.book.bind_outgoing(outgoing, callee)
        return call

    def _keep(self, leg: SipInLeg | SipOutLeg) -> None:
        self._legs = [kept for kept in self._legs if not kept.ended]
        self._legs.append(leg)

    def abandon(self) -> None:
        """The PBX goes (its trunk removed or moved): its calls end at once, its desks'
        sides with them (no SIP: its socket is closing; FleetPBX's timers end its side)."""
        for leg in self._legs:
            if leg.ended:
                continue
            answered = leg.state is LegState.ANSWERED
            leg.end(None if answered else GONE)
            peer = leg.peer
            if peer is not None and not peer.ended:
                if answered:
                    peer.peer_gone()
                else:
                    peer.peer_refused(GONE)
        self._legs = []

    # -- Digest, as FleetPBX asks ---------------------------------------------------------

    def _prompt(self, realm: str) -> UserSecret | None:
        username = self.trunk.username
        if username is None or self.secret is None:
            return None
        return UserSecret(username, password=self.secret)

    def _credentials(self, call: OutgoingCall, response: Response) -> list[tuple[str, str]] | None:
        return self._digest.answer(call.invite, response)

    # -- the control API's view -----------------------------------------------------------

    def view(self) -> dict[str, object]:
        trunk = self.trunk
        address = self.address
        return {
            "trunk": trunk.name,
            "trunk_id": trunk.id,
            "fleet_id": trunk.fleet_id,
            "mode": trunk.mode.value,
            "address": f"{address.transport.lower()}:{address.host}:{address.port}",
            "played": True,
            "problem": None,
            "state": self.switch.value,
            "desks": sorted(n.national() for n in self.desk_numbers()),
            "options_answered": self.options_answered,
            "requests_dropped": self.dropped,
            "sip_entries": self.book.held,
            "registration": None if self.registration is None else self.registration.view(),
        }
