"""FleetPBX on SIP, ISC originating case, in virtual time: the presented number of a line's
outgoing call (issue 16 item 4) is the identity of the B-leg FleetPBX sends back to the core
(P-Asserted-Identity and From); a per-call prefix (``*82#``, ``*83*G#``) chooses it for one
call; CLIR still hides it (``Privacy: id``); a colleague called sees the line."""

from __future__ import annotations

from fleet.core.presented import PresentedKind, PresentedNumber
from tests.sipnet.support import Core, core
from tests.sipnet.support import settled as finished
from tests.sipnet.test_isc_originating import LINE, from_line

MAIN = "+33145678910"  # the fleet's fixed number, its main number
GROUP = "+33611000077"


def fleet_presenting(kind: PresentedKind) -> Core:
    c = core()
    fleets, world = c.world.fleets, c.world
    fleets.set_main_number(world.fleet.id, "0145678910")
    group = fleets.add_group(
        world.fleet.id, number="0611000077", name="Commercial", short_number="3077",
        members=[world.lines[0].id],
    )  # fmt: skip
    choice = PresentedNumber.of(kind, group.id)
    fleets.update_line(world.lines[0].id, presented=choice)
    return c


def identity_of_the_b_leg(c: Core, dialled: str) -> tuple[str | None, str, str | None]:
    call = from_line(c, dialled)
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    pai = b_invite.headers.get("P-Asserted-Identity")
    from_ = (b_invite.headers.get("From") or "").split(";tag=")[0]
    privacy = b_invite.headers.get("Privacy")
    c.scscf.cancel(call)
    finished(c)
    return pai, from_, privacy


def test_the_b_leg_asserts_the_main_number_a_line_presents() -> None:
    c = fleet_presenting(PresentedKind.MAIN)
    assert identity_of_the_b_leg(c, "0699887766") == (f"<tel:{MAIN}>", f"<tel:{MAIN}>", None)
    (record,) = c.records.items
    assert any(e.detail and e.detail.get("presented") == MAIN for e in record.events), record.events


def test_the_b_leg_asserts_the_group_a_line_presents() -> None:
    c = fleet_presenting(PresentedKind.GROUP)
    assert identity_of_the_b_leg(c, "0699887766") == (f"<tel:{GROUP}>", f"<tel:{GROUP}>", None)


def test_a_prefix_chooses_the_presented_number_of_one_call() -> None:
    c = fleet_presenting(PresentedKind.GROUP)
    assert identity_of_the_b_leg(c, "*82%230699887766") == (
        f"<tel:{MAIN}>",
        f"<tel:{MAIN}>",
        None,
    )


def test_clir_hides_the_presented_number_with_privacy_id() -> None:
    c = fleet_presenting(PresentedKind.MAIN)
    pai, from_, privacy = identity_of_the_b_leg(c, "%2331%230699887766")
    assert (pai, privacy) == (f"<tel:{MAIN}>", "id")
    assert "anonymous" in from_


def test_a_colleague_called_sees_the_line() -> None:
    c = fleet_presenting(PresentedKind.MAIN)
    assert identity_of_the_b_leg(c, "2002") == (f"<tel:{LINE}>", f"<tel:{LINE}>", None)


def test_the_group_prefix_names_the_group_by_its_short_number() -> None:
    c = fleet_presenting(PresentedKind.LINE)
    pai, _, _ = identity_of_the_b_leg(c, "*83*3077%230699887766")
    assert pai == f"<tel:{GROUP}>"
