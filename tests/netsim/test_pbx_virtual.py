"""netsim's company PBX in virtual time against FleetPBX's real SIP adapter (its trunk
keepalive, trunk gate and trunk legs, ``tests.sipnet.support``), netsim's :class:`Pbx` in
place of the SIP tests' PBX at the trunk's address: OPTIONS answered while up, nothing while
down (FleetPBX's keepalive takes the trunk out of service, and back in once up); FleetPBX's
trunk leg to the fixed number rings the desk, which sees the forwarding; a desk calls a
mobile's short number through the trunk, answering FleetPBX's Digest challenge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.trunks import TrunkMode, TrunkState
from fleet.core.values import ForwardingKind
from fleet.sip.headers import Headers
from fleet.sip.message import Request
from fleet.sip.options import OptionsResponder
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transport_types import Peer
from fleet.sipnet.edge import SIPNET_POLICY, SipEdge
from fleet.sipnet.history import diversion_headers
from simulators.netsim.diverted import Forwarded, ForwardReason, forwarded_of, forwarded_screen
from simulators.netsim.handset import Answering, Behaviour, HandsetState
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls
from simulators.netsim.pbx import Pbx, PbxSwitch
from simulators.netsim.pbx_register import PbxAgent, Registration, RegistrationState
from simulators.netsim.scscf import DialRefused
from tests.sip.lossy import LossyLink
from tests.sipnet.support import FLEETPBX, PBX, Core
from tests.sipnet.trunks_fixture import FIXED, SECRET, with_trunk

IN, OUT = TrunkState.IN_SERVICE, TrunkState.OUT_OF_SERVICE
LINE = "+33611000001"  # short number 2001


@dataclass
class Screened:
    """What the PBX's transport delivers: its requests screened by ``Pbx.drops`` first."""

    pbx: Pbx
    layer: TransactionLayer

    def on_request(self, request: Request, source: Peer) -> None:
        if not self.pbx.drops(request, source):
            self.layer.on_request(request, source)

    def on_response(self, response: Any, source: Peer) -> None:
        self.layer.on_response(response, source)


@dataclass
class Played:
    c: Core
    pbx: Pbx
    handsets: Handsets
    link: LossyLink  # what the PBX sent


def played(*, secret: str | None = SECRET, **changes: object) -> Played:
    """FleetPBX with the fleet's trunk, netsim's PBX at the trunk's address."""
    c = with_trunk(secret=secret, **changes)
    view = FleetView(c.world.fleets.table)
    handsets = Handsets(behaviour=Behaviour(Answering.NEVER, 0))
    handsets.sync(view)
    link = LossyLink(c.clock, PBX)
    link.receiver = c.network.agent.layer
    options = OptionsResponder(policy=SIPNET_POLICY, warn_agent=PBX.host)
    edge = SipEdge(options=options)
    ua = PbxAgent(c.clock, link, PBX, "pbx")
    edge.user = ua
    layer = TransactionLayer(c.clock, link, edge, ua.timer_config)
    ua.use_layer(layer)
    (trunk,) = c.trunks.trunks()
    registration: Registration | None = None
    if trunk.username is not None and trunk.mode is TrunkMode.REGISTRATION:
        registration = Registration(
            ua=ua,
            registrar=FLEETPBX,
            username=trunk.username,
            secret=lambda: pbx.secret,
            random_bytes=lambda n: b"\x02" * n,
        )
    pbx = Pbx(
        trunk=trunk,
        ua=ua,
        address=PBX,
        options=options,
        calls=Calls(now=c.clock.now),
        handsets=handsets,
        fleets=lambda: view,
        policy=NumberPolicy(),
        fleetpbx=FLEETPBX,
        secret=secret,
        random_bytes=lambda n: b"\x01" * n,
        registration=registration,
    )
    c.to_pbx.receiver = Screened(pbx, layer)  # type: ignore[assignment]
    if registration is not None:
        registration.start()
    return Played(c, pbx, handsets, link)


def test_the_pbx_answers_options_while_up_and_the_trunk_stays_in_service() -> None:
    p = played()
    p.c.network.trunks.start()
    p.c.advance(61)
    assert p.c.trunks.written == [(1, IN)]
    assert p.pbx.options_answered == 3  # at 0, 30 and 60 s
    assert p.pbx.view()["state"] == "up"


def test_a_pbx_switched_down_answers_nothing_until_up_and_the_keepalive_follows() -> None:
    p = played()
    p.c.network.trunks.start()
    p.c.advance(1)
    p.pbx.set_switch(PbxSwitch.DOWN)
    p.c.advance(29 + 33)  # the probe at 30 s goes unanswered until timer F (32 s)
    assert p.c.trunks.state(1) is OUT
    answered = p.pbx.options_answered
    assert answered == 1 and p.pbx.dropped > 0  # the retransmissions dropped too
    p.pbx.set_switch(PbxSwitch.UP)
    p.c.advance(30)
    assert p.c.trunks.written == [(1, IN), (1, OUT), (1, IN)]
    assert p.pbx.options_answered == answered + 1


def test_a_desk_cannot_dial_while_its_pbx_is_down() -> None:
    p = played()
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None
    p.pbx.set_switch(PbxSwitch.DOWN)
    with pytest.raises(DialRefused, match="down"):
        p.pbx.dial(desk, "2001")
    assert p.pbx.calls.active == {}


def test_a_call_forwarded_to_the_fixed_number_rings_the_desk_which_sees_the_diversion() -> None:
    p = played()
    line = p.c.world.lines[0]
    p.c.world.fleets.forward(line.id, ForwardingKind.UNCONDITIONAL, "01 45 67 89 10")
    p.c.call(LINE)
    p.c.advance(1)
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None
    (leg,) = desk.legs
    assert leg.state.value == "ringing"
    assert leg.shows == "06 99 00 00 09"  # the original caller
    assert leg.forwarded == Forwarded(E164(LINE), ForwardReason.UNCONDITIONAL)
    assert forwarded_screen([leg]) == {
        "forwarded_from": "06 11 00 00 01",
        "forwarded_why": "unconditional",
    }
    leg.answer()
    p.c.advance(1)
    assert leg.state.value == "answered"
    leg.hang_up()
    p.c.advance(64)
    assert p.pbx.book.held == 0 and p.pbx.ua.calls_held == 0
    assert p.pbx.calls.active == {}


def test_an_invite_for_a_number_that_is_no_desk_of_the_trunk_gets_404() -> None:
    p = played()
    agent = p.c.network.agent  # FleetPBX's agent, as if a leg were sent there
    call = agent.invite(f"sip:+33145678999@{PBX.host}", PBX, body=b"")
    p.c.advance(1)
    assert call.final_status == 404


def test_a_desk_calls_a_mobiles_short_number_through_the_trunk_with_digest() -> None:
    p = played()
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None
    call = p.pbx.dial(desk, "2001")
    p.c.advance(1)
    statuses = [s.message.status for s in p.c.to_pbx.sent if not isinstance(s.message, Request)]
    assert statuses[0] == 407  # challenged, answered once with the trunk's credentials
    (b_leg,) = p.c.b_invites()
    assert b_leg.request_uri == f"tel:{LINE}"
    assert b_leg.headers.get("P-Asserted-Identity") == f"<tel:{FIXED}>"
    assert [leg.kind.value for leg in call.legs] == ["handset", "sip_out"]
    (caller,) = desk.legs
    caller.hang_up()
    p.c.advance(64)
    assert p.pbx.book.held == 0 and p.pbx.calls.active == {}


def test_without_the_secret_the_desks_call_is_refused_by_fleetpbx() -> None:
    p = played()
    p.pbx.secret = None
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None
    call = p.pbx.dial(desk, "2001")
    p.c.advance(1)
    assert p.c.b_invites() == []
    assert [leg.cause for leg in call.legs] == [407, 407]


def test_a_switched_off_desk_is_not_reachable_behind_its_pbx() -> None:
    p = played()
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None
    desk.state = HandsetState.OFF
    p.c.call(FIXED)
    p.c.advance(1)
    assert [leg.cause for leg in p.pbx.calls.ended[0].legs] == [480, 480]


# -- a registration-mode trunk's PBX ----------------------------------------------------


def registering() -> Played:
    return played(mode=TrunkMode.REGISTRATION, host=None, port=None)


def registration_of(p: Played) -> RegistrationState:
    assert p.pbx.registration is not None
    return p.pbx.registration.state


def test_a_registration_mode_pbx_registers_with_digest_and_is_called_at_its_contact() -> None:
    p = registering()
    p.c.advance(1)
    registration = p.pbx.registration
    assert registration is not None
    assert registration.state is RegistrationState.REGISTERED
    assert registration.last_status == 200 and registration.granted == 600
    binding = p.c.network.trunks.registrations.binding(1)
    assert binding is not None and (binding.peer.host, binding.peer.port) == (PBX.host, PBX.port)
    assert p.c.trunks.written == [(1, IN)]
    p.c.call(FIXED)  # FleetPBX's trunk leg goes to the registered contact
    p.c.advance(1)
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None and [leg.state.value for leg in desk.legs] == ["ringing"]
    desk.legs[0].hang_up()
    p.pbx.dial(desk, "2001")  # known by its contact, challenged, let in
    p.c.advance(1)
    assert [i.request_uri for i in p.c.b_invites()] == [f"tel:{LINE}"]
    (calling,) = [leg for leg in desk.legs if not leg.ended]
    calling.hang_up()
    p.c.advance(64)
    assert p.pbx.book.held == 0


def test_a_registration_is_refreshed_at_half_its_expiry() -> None:
    p = registering()
    p.c.advance(301 + 1)
    registers = [s for s in p.link.sent if s.label == "REGISTER"]
    assert [round(s.at) for s in registers] == [0, 0, 300, 300]  # each challenged once
    assert p.c.network.trunks.registrations.binding(1) is not None


def test_a_registering_pbx_down_stops_refreshing_and_registers_again_once_up() -> None:
    p = registering()
    p.c.advance(1)  # registered: in service
    p.c.network.trunks.start()
    p.c.advance(1)
    p.pbx.set_switch(PbxSwitch.DOWN)
    assert registration_of(p) is RegistrationState.UNREGISTERED
    p.c.advance(29 + 34)  # the probe to the contact at 31 s unanswered until timer F
    assert p.c.trunks.state(1) is OUT
    p.pbx.set_switch(PbxSwitch.UP)  # registers again at once: in service again
    p.c.advance(1)
    assert registration_of(p) is RegistrationState.REGISTERED
    assert p.c.trunks.written == [(1, IN), (1, OUT), (1, IN)]


def test_a_registration_with_a_wrong_secret_fails_and_is_tried_again() -> None:
    p = registering()
    p.pbx.secret = "wrong"
    p.pbx.set_switch(PbxSwitch.DOWN)
    p.pbx.set_switch(PbxSwitch.UP)
    p.c.advance(1)
    registration = p.pbx.registration
    assert registration is not None
    assert registration_of(p) is RegistrationState.FAILED and registration.last_status == 403
    p.pbx.secret = SECRET
    p.c.advance(30)
    assert registration_of(p) is RegistrationState.REGISTERED


# -- the desk's screen: Diversion and History-Info as FleetPBX writes them ------------------


def invite_with(headers: list[tuple[str, str]]) -> Request:
    fields = Headers()
    for name, value in headers:
        fields.add(name, value)
    return Request("INVITE", f"sip:{FIXED}@{PBX.host}", fields, b"")


@pytest.mark.parametrize("wanted", ["Diversion", "History-Info"])
def test_the_latest_forwarding_is_read_from_either_header(wanted: str) -> None:
    chain = [
        Diversion(
            by=E164("+33611000003"), to=E164("+33611000004"), reason=DiversionReason.NO_REPLY
        ),
        Diversion(DiversionReason.BUSY, E164("+33611000004"), E164(FIXED)),
    ]
    headers = [(n, v) for n, v in diversion_headers(chain, E164(FIXED)) if n == wanted]
    assert headers
    found = forwarded_of(invite_with(headers), NumberPolicy())
    assert found == Forwarded(E164("+33611000004"), ForwardReason.BUSY)


def test_a_call_without_history_was_not_forwarded() -> None:
    assert forwarded_of(invite_with([]), NumberPolicy()) is None


def test_a_pbx_that_goes_ends_its_calls_and_its_desks_sides() -> None:
    p = played()
    p.c.call(FIXED)
    p.c.advance(1)
    desk = p.handsets.get(E164(FIXED))
    assert desk is not None and len(desk.legs) == 1
    p.pbx.abandon()
    assert desk.legs == [] and p.pbx.calls.active == {}
    (ended,) = p.pbx.calls.ended
    assert [leg.cause for leg in ended.legs] == [503, 503]
