"""Where a B-leg goes and what its INVITE says (DESIGN §8): to the core (``sip_core``) as
``tel:+E164`` with the caller's identity as presented, its diversion history and the visit's
onward headers (P-Served-User, P-Charging-Vector, the S-CSCF's routes); or, for a fixed number,
to its trunk's PBX with the history the trunk wants (:mod:`fleet.sipnet.trunks`)."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.calls.ports import LegRequest
from fleet.core.numbering import E164
from fleet.core.trunks import Trunk
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import OutgoingCall
from fleet.sipnet.history import diversion_headers
from fleet.sipnet.parties import b_leg_identity, originating_identity
from fleet.sipnet.served import Visit
from fleet.sipnet.trunks import TrunkRouter


@dataclass(eq=False, slots=True)
class BLeg:
    """A B-leg placed: its INVITE, the caller's leg, what it answered."""

    id: str
    call: OutgoingCall
    a_leg: str | None
    to_core: bool = False  # placed towards the core (not over a trunk)
    number: E164 | None = None  # the number rung
    alerted: bool = False
    answered: bool = False
    answer: bytes = b""
    answer_type: str | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    uri: str
    destination: Peer
    local_party: str  # the From value, without tag
    headers: list[tuple[str, str]]
    trunk: Trunk | None  # the trunk the leg goes over; None: to the core


def placement(
    request: LegRequest,
    *,
    visit: Visit | None,
    fleet_id: int | None,
    core: Peer,
    trunks: TrunkRouter,
) -> Placement | None:
    """The leg's INVITE; None when its trunk cannot be reached (out of service, unknown, a
    registration-mode trunk without a contact)."""
    identity = request.identity  # the caller's presented number, if it chose one (issue 16)
    if visit is not None and visit.originating and identity is not None:
        local_party, headers = originating_identity(identity, request.presentation, request.call_id)
    else:
        local_party, headers = b_leg_identity(identity, request.presentation, request.call_id)
    if request.trunk is None:
        headers += diversion_headers(request.diversions, request.number)
        headers += visit.onward_headers() if visit is not None else []
        return Placement(f"tel:{request.number.value}", core, local_party, headers, None)
    route = trunks.route(request, fleet_id)
    if route is None:
        return None
    headers += route.history
    return Placement(route.uri, route.destination, local_party, headers, route.trunk)
