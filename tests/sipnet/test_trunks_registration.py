"""Registration-mode trunks in virtual time: the PBX's REGISTER is challenged (401, the trunk's
realm) and, authenticated, bound for its Expires (200 with the binding); the keepalive and the
calls to the fleet's fixed number then go to the registered contact; the binding's expiry or
removal puts the trunk out of service."""

from __future__ import annotations

from fleet.core.trunks import TrunkMode, TrunkState
from fleet.sip.message import Response
from tests.sipnet.pbx import Login
from tests.sipnet.support import FLEETPBX, OFFER, Core
from tests.sipnet.trunks_fixture import FIXED, SECRET, with_trunk

IN, OUT = TrunkState.IN_SERVICE, TrunkState.OUT_OF_SERVICE


def registering() -> Core:
    c = with_trunk(mode=TrunkMode.REGISTRATION, host=None, port=None)
    c.pbx.login = Login("siege", SECRET)
    return c


def statuses(c: Core) -> list[int]:
    return [r.status for r in c.pbx.register_answers]


def test_register_with_digest_binds_the_contact_for_its_expires() -> None:
    c = registering()
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.advance(1)
    assert statuses(c) == [401, 200]
    ok: Response = c.pbx.register_answers[-1]
    assert ok.headers.get("Contact") == "<sip:pbx@192.0.2.3:5060>;expires=600"
    assert c.trunks.written == [(1, IN)]


def test_a_registered_trunk_is_probed_and_called_at_its_contact() -> None:
    c = registering()
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.advance(1)
    c.network.trunks.start()
    c.advance(1)
    assert [o.request_uri for o in c.pbx.options] == ["sip:pbx@192.0.2.3:5060"]
    c.pbx.on_incoming = lambda call: c.pbx.ring(call)
    c.call(FIXED)
    c.advance(1)
    (invite,) = c.pbx_invites()
    assert invite.request_uri == f"sip:{FIXED}@192.0.2.3:5060;user=phone"


def test_the_binding_expires_and_the_trunk_goes_out_of_service() -> None:
    c = registering()
    c.pbx.register("192.0.2.10", "siege", expires=120)
    c.advance(119)
    assert c.trunks.state(1) is IN
    c.advance(2)
    assert c.trunks.written == [(1, IN), (1, OUT)]
    c.pbx.on_incoming = lambda call: c.pbx.ring(call)
    c.call(FIXED)
    c.advance(1)
    assert c.pbx_invites() == []


def test_unregister_puts_the_trunk_out_of_service() -> None:
    c = registering()
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.advance(1)
    c.pbx.register("192.0.2.10", "siege", expires=0)
    c.advance(1)
    assert statuses(c) == [401, 200, 401, 200]
    assert c.trunks.written == [(1, IN), (1, OUT)]


def test_register_with_a_wrong_password_or_for_no_trunk_is_refused() -> None:
    c = registering()
    c.pbx.login = Login("siege", "wrong")
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.pbx.register("192.0.2.10", "nobody", expires=600)
    c.advance(1)
    assert sorted(statuses(c)) == [401, 403, 403]
    assert c.trunks.written == []


def test_a_static_trunk_cannot_register() -> None:
    c = with_trunk()
    c.pbx.login = Login("siege", SECRET)
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.advance(1)
    assert statuses(c) == [403]


def test_the_registered_pbx_calling_is_challenged_from_its_contact_and_rings_the_mobile() -> None:
    c = registering()
    c.pbx.register("192.0.2.10", "siege", expires=600)
    c.advance(1)
    call = c.pbx.invite(
        "sip:2001@192.0.2.10",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        headers=[("P-Asserted-Identity", f"<sip:{FIXED}@192.0.2.3;user=phone>")],
    )
    c.advance(1)
    sent = [s.message for s in c.to_pbx.sent if isinstance(s.message, Response)]
    assert 407 in [r.status for r in sent if (r.headers.get("CSeq") or "").endswith("INVITE")]
    assert [i.request_uri for i in c.b_invites()] == ["tel:+33611000001"]
    c.pbx.cancel(call)
    c.advance(64)
    assert c.network.legs == 0
