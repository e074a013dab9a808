"""Where a fleet line is, on SIP (:mod:`fleet.sipnet.sightings`): the adapter remembers where
each line's handset was last seen — the originating INVITE the S-CSCF sends for the served
line, the in-dialog requests of its legs, the 18x and 2xx of a leg ringing it — with the
visited country, for a day at most and for a bounded number of lines; BAIC-Roam (351) bars
calls to a line seen abroad (virtual time)."""

from __future__ import annotations

import pytest

from fleet.core import barring
from fleet.core.barring import Barring
from fleet.core.calls.incall import Location
from fleet.core.countries import Country
from fleet.core.numbering import E164
from fleet.core.roaming import AT_HOME, UNSEEN, LineLocation, Place
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind
from fleet.sip.ua_calls import IncomingCall, OutgoingCall, OutgoingState
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.cells import Cell, Radio
from fleet.sipnet.served import SERVED_USER
from fleet.sipnet.sightings import MAX_AGE, Sightings
from fleet.sipnet.whereabouts import Whereabouts
from tests.sipnet.incall_support import B, held_and_second_call
from tests.sipnet.support import ANSWER, FLEETPBX, OFFER, Behaviour, Core, answer_after, core
from tests.sipnet.support import settled as finished

LINE = "+33611000001"
OUTSIDE = "+33699000009"
GROUP = "0609182236"
SPAIN = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=2140700a1b2c3d4e; network-provided"
HOME = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=2080100a1b2c3d4e; network-provided"
UK_NR = "3GPP-NR-FDD; utran-cell-id-3gpp=23415000001000000abc; network-provided"
IN_SPAIN = LineLocation.abroad(Country("ES"))


def LTE(cell_id: str) -> Cell:
    return Cell(Radio.E_UTRAN, cell_id)


class Now:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_line_never_seen_is_unknown_and_the_last_sighting_counts() -> None:
    now = Now()
    seen = Sightings(now=now)
    line = E164(LINE)
    assert seen.location(line) is UNSEEN and not seen.location(line).roaming
    seen.saw(line, IN_SPAIN)
    assert seen.location(line).roaming and seen.location(line).country == Country("ES")
    seen.saw(line, AT_HOME)
    assert seen.location(line) == AT_HOME


def test_a_sighting_older_than_the_age_limit_is_forgotten_unknown_again() -> None:
    now = Now()
    seen = Sightings(now=now)
    line, other = E164(LINE), E164("+33611000002")
    seen.saw(line, IN_SPAIN)
    now.t = MAX_AGE
    assert seen.location(line).roaming, "a day old: still trusted"
    now.t = MAX_AGE + 1
    assert seen.location(line) is UNSEEN and len(seen) == 0
    seen.saw(line, IN_SPAIN)
    now.t = 2 * MAX_AGE + 2
    seen.saw(other, IN_SPAIN)  # a sighting drops those too old
    assert len(seen) == 1 and seen.location(other).roaming


def test_the_memory_is_bounded_the_line_seen_longest_ago_forgotten_first() -> None:
    now = Now()
    seen = Sightings(now=now, limit=2)
    first, second, third = (E164(f"+3361100000{i}") for i in (1, 2, 3))
    seen.saw(first, IN_SPAIN)
    seen.saw(second, IN_SPAIN)
    seen.saw(first, IN_SPAIN)  # seen again: now the latest
    seen.saw(third, IN_SPAIN)
    assert len(seen) == 2
    assert [seen.location(n).place for n in (first, second, third)] == [
        Place.ABROAD,
        Place.UNKNOWN,
        Place.ABROAD,
    ]


def test_a_cell_tells_the_visited_country_by_its_mobile_country_code() -> None:
    france = Whereabouts()
    assert france.line_location(LTE("2080100a1b2c3d4e")) == AT_HOME
    assert france.line_location(LTE("2140700a1b2c3d4e")) == IN_SPAIN
    shared = france.line_location(LTE("2341500a1b2c3d4e"))  # 234: GB and its islands
    assert shared.roaming and Country("GB") in shared.countries and shared.country is None
    unallocated = france.line_location(LTE("9990100a1b2c3d4e"))
    assert unallocated.place is Place.ABROAD and unallocated.countries == ()
    usa = Whereabouts(home_mcc="310")
    assert usa.line_location(LTE("3110100a1b2c3d4e")) == AT_HOME, "another code of home"
    assert usa.location(LTE("3110100a1b2c3d4e")) is Location.HOME, "a transfer too"
    assert usa.location(LTE("2080100a1b2c3d4e")) is Location.ABROAD


@pytest.mark.parametrize(("max_age", "limit"), [(0.0, 10), (-1.0, 10), (60.0, 0)])
def test_bad_limits_are_refused(max_age: float, limit: int) -> None:
    with pytest.raises(ValueError, match="sightings"):
        Sightings(now=Now(), max_age=max_age, limit=limit)


def own_call(c: Core, access: str) -> None:
    """The S-CSCF sends FleetPBX the line's own call to an outside number, from ``access``."""
    call = own_call_starts(c, access)
    c.advance(1.0)
    c.scscf.cancel(call)
    c.advance(1.0)


def own_call_starts(c: Core, access: str) -> OutgoingCall:
    """The line's own call to an outside number reaches FleetPBX from ``access``."""
    return c.scscf.invite(
        f"sip:{OUTSIDE}@ims.example.net;user=phone",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        local_party=f"<tel:{LINE}>",
        headers=[
            ("P-Asserted-Identity", f"<tel:{LINE}>"),
            (SERVED_USER, f"<sip:{LINE}@ims.example.net>;sescase=orig;regstate=reg"),
            ("P-Access-Network-Info", access),
        ],
    )


def test_a_line_whose_own_call_came_from_abroad_is_barred_then_rung_once_home() -> None:
    c = core()
    line = c.world.lines[0]
    c.world.fleets.update_line(line.id, **{barring.SETTINGS[Barring.BAIC_ROAM].name: True})
    own_call(c, SPAIN)
    assert c.network.location(E164(LINE)) == IN_SPAIN
    barred = c.call(LINE)
    c.advance(2.0)
    assert barred.state is OutgoingState.TERMINATED and barred.final_status is not None
    assert barred.final_status >= 400
    assert f"tel:{LINE}" not in [i.request_uri for i in c.b_invites()]
    finished(c)
    record = c.records.items[-1]
    assert record.outcome is CallOutcome.REJECTED
    refused = [e.detail for e in record.events if e.kind is CallEventKind.RESTRICTED]
    assert refused == [{"barring": "351"}]
    own_call(c, HOME)
    assert c.network.location(E164(LINE)) == AT_HOME
    c.answers[LINE] = answer_after(5.0, c.clock)
    c.call(LINE)
    c.advance(1.0)
    assert f"tel:{LINE}" in [i.request_uri for i in c.b_invites()]


def test_an_in_dialog_request_from_abroad_tells_where_the_lines_handset_is() -> None:
    scene = held_and_second_call()
    assert not scene.c.network.location(E164(B)).roaming
    scene.c.scscf.request_in(
        scene.b_active,
        "INFO",
        body=b"Signal=5\r\nDuration=160\r\n",
        content_type="application/dtmf-relay",
        headers=[("P-Access-Network-Info", SPAIN)],
    )
    scene.c.advance(1.0)
    assert scene.c.network.location(E164(B)) == IN_SPAIN
    assert len(scene.c.network.keys.sightings) == 1, "only fleet lines are remembered"


def test_a_roaming_group_member_seen_home_takes_the_caller_waiting_in_the_queue() -> None:
    """The line (BAIC-Roam) seen abroad is skipped by its group, whose other member is in a
    call: a caller to the group waits. Its handset's next request from home tells the engine
    (``came_home``): the waiting caller rings it at once."""
    c = core()
    line, other = c.world.lines[0], c.world.lines[1]
    c.world.fleets.update_line(line.id, **{barring.SETTINGS[Barring.BAIC_ROAM].name: True})
    group = c.world.fleets.add_group(
        c.world.fleet.id,
        number=GROUP,
        name="Standard",
        members=[line.id, other.id],
        connected=[line.id, other.id],
        queue_size=2,
        max_queue_wait=300,
    )
    own_call(c, SPAIN)
    c.answers[other.msisdn.value] = answer_after(0.5, c.clock)
    c.call(other.msisdn.value)
    c.advance(2.0)
    assert c.engine.is_busy(other.msisdn)
    c.call(group.number.value)
    c.advance(2.0)
    assert f"tel:{LINE}" not in [i.request_uri for i in c.b_invites()]
    assert len(c.network.engine.groups.waiting(group.id)) == 1  # type: ignore[attr-defined]
    own = own_call_starts(c, HOME)
    c.advance(0.5)  # the line's own call still up: not a member freed, a sighting from home
    assert f"tel:{LINE}" in [i.request_uri for i in c.b_invites()]
    c.scscf.cancel(own)
    c.advance(1.0)


def ringing_from(access: str) -> Behaviour:
    """The called handset rings with its cell in the 180 (a terminating UE's PANI)."""

    def behave(ua: UserAgent, call: IncomingCall) -> None:
        ua.ring(call, headers=[("P-Access-Network-Info", access)])

    return behave


def barred(c: Core) -> list[object]:
    return [e.detail for e in c.records.items[-1].events if e.kind is CallEventKind.RESTRICTED]


def test_a_callee_ringing_from_abroad_is_known_to_roam_and_its_next_call_is_barred() -> None:
    c = core()
    line = c.world.lines[0]
    c.answers[LINE] = ringing_from(SPAIN)
    assert c.network.location(E164(LINE)) is UNSEEN
    first = c.call(LINE)
    c.advance(1.0)
    assert first.state is OutgoingState.EARLY, "rung: nothing barred it yet"
    assert c.network.location(E164(LINE)) == IN_SPAIN
    c.scscf.cancel(first)
    c.advance(1.0)
    c.world.fleets.update_line(line.id, **{barring.SETTINGS[Barring.BAIC_ROAM].name: True})
    rung = len(c.b_invites())
    second = c.call(LINE)
    c.advance(2.0)
    assert second.final_status is not None and second.final_status >= 400
    assert len(c.b_invites()) == rung, "the line is not rung again"
    finished(c)
    assert barred(c) == [{"barring": "351"}]


def test_a_callee_answering_from_abroad_is_known_to_roam_with_the_country_of_its_cell() -> None:
    c = core()

    def answer_from_uk(ua: UserAgent, call: IncomingCall) -> None:
        ua.ring(call)  # no cell in the 180: nothing learnt yet
        c.clock.call_later(
            1.0,
            lambda: ua.answer(
                call,
                body=ANSWER,
                content_type="application/sdp",
                headers=[("P-Access-Network-Info", UK_NR)],
            ),
        )

    c.answers[LINE] = answer_from_uk
    call = c.call(LINE)
    c.advance(0.5)
    assert c.network.location(E164(LINE)) is UNSEEN
    c.advance(1.0)
    assert call.state is OutgoingState.CONFIRMED
    where = c.network.location(E164(LINE))
    assert where.roaming and Country("GB") in where.countries


def test_an_outside_callees_cell_is_not_remembered() -> None:
    c = core()
    c.answers[OUTSIDE] = ringing_from(SPAIN)
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.UNCONDITIONAL, OUTSIDE)
    call = c.call(LINE)
    c.advance(1.0)
    assert call.state is OutgoingState.EARLY
    assert len(c.network.keys.sightings) == 0
