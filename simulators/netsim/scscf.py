"""The S-CSCF of netsim, with its initial filter criteria (3GPP TS 24.229 §5.4.3, ISC):

- a handset of a fleet line places a call → an INVITE to FleetPBX for the originating case
  (the dialled digits in the Request-URI, ``P-Served-User: <tel:line>;sescase=orig``,
  P-Asserted-Identity, a new ICID in P-Charging-Vector);
- a call to a fleet line or a call group's number, from an outside handset or continuing
  after FleetPBX's originating visit (its B-leg carries ``sescase=orig`` back) → an INVITE to
  FleetPBX for the terminating case (``sescase=term``, the caller's identity and privacy as
  they came, the same ICID);
- anything else — FleetPBX's B-legs of a terminating visit, calls between outside numbers —
  goes straight to the called number's handset.

netsim is a back-to-back user agent here (a real S-CSCF proxies): each hop is a leg of the
call (``legs``), relayed to its peer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.values import SessionCase
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import IncomingCall
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.parties import caller_of, identity_withheld, uri_number
from fleet.sipnet.served import (
    CHARGING_VECTOR,
    SERVED_USER,
    ServedUserError,
    icid_of,
    parse_served_user,
)
from simulators.netsim.cells import access_network_info
from simulators.netsim.handset import Handset
from simulators.netsim.handset_leg import HandsetLeg
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls, Leg, NetCall, join
from simulators.netsim.sip_legs import SipInLeg, SipOutLeg
from simulators.netsim.sipbook import SipBook

HIDE_ONCE, SHOW_ONCE = "#31#", "*31#"
DIALLABLE = re.compile(r"\+?[0-9*#]+")
ANONYMOUS = '"Anonymous" <sip:anonymous@anonymous.invalid>'


class DialError(StrEnum):
    INVALID_NUMBER = "invalid_number"
    HANDSET_UNREACHABLE = "handset_unreachable"


class DialRefused(Exception):
    def __init__(self, code: DialError, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Scscf:
    ua: UserAgent
    book: SipBook
    calls: Calls
    handsets: Handsets
    fleets: Callable[[], FleetView]
    policy: NumberPolicy
    fleetpbx: Peer

    # -- a handset places a call --------------------------------------------------------

    def dial(self, handset: Handset, dialled: str) -> NetCall:
        if not handset.state.reachable:
            raise DialRefused(DialError.HANDSET_UNREACHABLE, f"{handset.state.value}")
        digits = self.policy.clean(dialled)
        if not DIALLABLE.fullmatch(digits):
            raise DialRefused(DialError.INVALID_NUMBER, f"{dialled!r}: digits, * and # only")
        if self.fleets().originating(handset.number):
            return self._originating(handset, digits)
        hidden = digits.startswith(HIDE_ONCE)
        number = self._number(digits.removeprefix(HIDE_ONCE).removeprefix(SHOW_ONCE))
        if number is None:
            raise DialRefused(DialError.INVALID_NUMBER, f"{dialled!r} is no number")
        call = self.calls.new()
        caller = HandsetLeg(
            call,
            handset,
            role="caller",
            scheduler=self.ua.scheduler,
            other=number,
            shows=number.national(),
        )
        if self.fleets().terminating(number):
            identity = None if hidden else handset.number
            self._to_fleetpbx_terminating(caller, number, handset.number, hidden, identity)
        else:
            self._to_handset(caller, number, None if hidden else handset.number)
        return call

    def _number(self, digits: str) -> E164 | None:
        kind, number = self.policy.classify(digits)
        return number if kind is not NumberClass.INVALID else None

    def _originating(self, handset: Handset, digits: str) -> NetCall:
        call = self.calls.new()
        caller = HandsetLeg(
            call, handset, role="caller", scheduler=self.ua.scheduler, other=None, shows=digits
        )
        line = handset.number.value
        headers = [
            ("P-Asserted-Identity", f"<tel:{line}>"),
            (SERVED_USER, f"<tel:{line}>;sescase=orig;regstate=reg"),
            (CHARGING_VECTOR, f"icid-value={call.icid};orig-ioi=netsim"),
            ("P-Access-Network-Info", access_network_info(handset)),
        ]
        uri = f"sip:{digits.replace('#', '%23')}@{self._fleetpbx_host()};user=phone"
        self._invite(caller, uri, f"<tel:{line}>", headers, party=digits, offer=caller.sdp())
        return call

    def _fleetpbx_host(self) -> str:
        return f"{self.fleetpbx.host}:{self.fleetpbx.port}"

    def _to_fleetpbx_terminating(
        self,
        caller: Leg,
        number: E164,
        from_number: E164 | None,
        hidden: bool,
        identity: E164 | None,
        *,
        offer: bytes | None = None,
    ) -> None:
        call = caller.call
        headers: list[tuple[str, str]] = []
        if identity is not None:
            headers.append(("P-Asserted-Identity", f"<tel:{identity.value}>"))
        if hidden:
            headers.append(("Privacy", "id"))
        headers += [
            (SERVED_USER, f"<tel:{number.value}>;sescase=term;regstate=reg"),
            (CHARGING_VECTOR, f"icid-value={call.icid};orig-ioi=netsim"),
        ]
        party = ANONYMOUS if hidden or from_number is None else f"<tel:{from_number.value}>"
        uri = f"sip:{number.value}@{self._fleetpbx_host()};user=phone"
        if offer is None:
            assert isinstance(caller, HandsetLeg)
            offer = caller.sdp()
        self._invite(caller, uri, party, headers, party=number.national(), offer=offer)

    def _invite(
        self,
        caller: Leg,
        uri: str,
        local_party: str,
        headers: list[tuple[str, str]],
        *,
        party: str,
        offer: bytes,
    ) -> None:
        callee = SipOutLeg(caller.call, self.ua, self.book, party=party)
        join(caller, callee)
        outgoing = self.ua.invite(
            uri,
            self.fleetpbx,
            body=offer,
            content_type="application/sdp",
            local_party=local_party,
            headers=headers,
        )
        callee.sent(outgoing)
        self.book.bind_outgoing(outgoing, callee)

    def _to_handset(self, caller: Leg, number: E164, shown: E164 | None) -> None:
        handset = self.handsets.of(number)
        callee = HandsetLeg(
            caller.call, handset, role="callee", scheduler=self.ua.scheduler, other=shown
        )
        join(caller, callee)
        callee.alert()

    # -- FleetPBX's INVITEs ---------------------------------------------------------------

    def incoming(self, incoming: IncomingCall) -> None:
        invite = incoming.invite
        text = uri_number(invite.uri)
        number = self._number(text) if text else None
        if number is None:
            self.ua.reject(incoming, 404)
            return
        try:
            served = invite.headers.get(SERVED_USER)
            case = parse_served_user(served).case if served else SessionCase.TERMINATING
        except ServedUserError:
            self.ua.reject(incoming, 400)
            return
        call = self.calls.of_icid(icid_of(invite))
        caller = SipInLeg(call, self.ua, self.book, incoming, party=number.national())
        self.book.bind_incoming(incoming, caller)
        hidden = identity_withheld(invite)
        identity = caller_of(invite, self.policy)
        if case is SessionCase.ORIGINATING and self.fleets().terminating(number):
            self._to_fleetpbx_terminating(
                caller, number, identity, hidden, identity, offer=invite.body
            )
        else:
            self._to_handset(caller, number, None if hidden else identity)
