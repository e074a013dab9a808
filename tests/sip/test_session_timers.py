"""Session timers (RFC 4028) between two user agents over the lossy link in virtual time: the
header values, the 422 negotiation, the refresher refreshing at half the interval and the
other side ending the session with BYE when the refreshes stop coming."""

from __future__ import annotations

import pytest

from fleet.sip.session_timer import (
    SessionExpires,
    SessionTimerConfig,
    expiry_margin,
    parse_min_se,
    parse_session_expires,
)
from tests.sip.dialog_support import established, phones
from tests.sip.virtual import VirtualClock


def test_session_expires_and_min_se_values_parse_with_their_parameters() -> None:
    assert parse_session_expires("1800") == SessionExpires(1800)
    assert parse_session_expires("4000 ; Refresher=UAS;x=1") == SessionExpires(4000, "uas")
    assert parse_min_se("90;lr") == 90
    assert str(SessionExpires(300, "uac")) == "300;refresher=uac"
    with pytest.raises(ValueError, match="uac or uas"):
        parse_session_expires("1800;refresher=proxy")
    with pytest.raises(ValueError, match="delta-seconds"):
        parse_min_se("soon")


def test_the_non_refresher_ends_the_session_min_32_s_or_a_third_before_it_expires() -> None:
    assert expiry_margin(1800) == 32 and expiry_margin(90) == 30


def test_an_interval_below_the_min_se_is_refused_422_and_the_caller_retries_with_it() -> None:
    clock = VirtualClock()
    alice, bob = phones(
        clock,
        alice_session=SessionTimerConfig(expires=120),
        bob_session=SessionTimerConfig(expires=1800, min_se=300),
    )
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(1)
    (refused,) = bob.sent("422")
    assert refused.message.headers.get("Min-SE") == "300"
    invites = alice.sent("INVITE")
    assert [str(s.message.cseq) for s in invites] == ["1 INVITE", "2 INVITE"]
    assert invites[1].message.headers.get("Session-Expires") == "300"
    (incoming,) = bob.ua.incoming
    bob.ua.answer(incoming)
    clock.advance(1)
    assert outgoing.final_status == 200
    (ok,) = bob.sent("200", "INVITE")
    assert ok.message.headers.get("Session-Expires") == "300;refresher=uac"
    assert ok.message.headers.get("Require") == "timer"
    assert alice.ua.session_timers[alice.dialog.id].we_refresh
    assert not bob.ua.session_timers[bob.dialog.id].we_refresh


def test_the_refresher_sends_an_update_every_half_interval_and_the_session_lives_on() -> None:
    clock = VirtualClock()
    config = SessionTimerConfig(expires=180)
    alice, bob = phones(clock, alice_session=config, bob_session=config)
    established(clock, alice, bob)
    started = bob.sent("200", "INVITE")[0].at + 0.01
    clock.advance(600)
    updates = alice.sent("UPDATE")
    assert len(updates) == 6
    assert round(updates[0].at - started, 6) == 90
    assert all(s.message.headers.get("Session-Expires") == "180;refresher=uac" for s in updates)
    assert len(bob.sent("200", "UPDATE")) == 6
    assert alice.sent("BYE") == [] and bob.sent("BYE") == []
    assert alice.ua.dialogs and bob.ua.dialogs


def test_when_no_refresh_arrives_the_other_side_sends_bye_before_the_session_expires() -> None:
    clock = VirtualClock()
    config = SessionTimerConfig(expires=180)
    alice, bob = phones(clock, alice_session=config, bob_session=config)
    established(clock, alice, bob)
    alice.link.lose("UPDATE", every=True)
    alice.link.lose("BYE", every=True)  # Alice gone quiet: only Bob's timer can end it
    answered = bob.sent("200", "INVITE")[0].at
    clock.advance(400)
    (bye,) = bob.sent("BYE")
    assert round(bye.at - answered, 6) == 180 - 32
    assert not bob.ua.dialogs and not bob.ua.session_timers


def test_a_refresher_whose_update_times_out_ends_the_session_with_bye() -> None:
    clock = VirtualClock()
    config = SessionTimerConfig(expires=180)
    alice, bob = phones(clock, alice_session=config, bob_session=config)
    established(clock, alice, bob)
    alice.link.lose("UPDATE", every=True)
    clock.advance(140)
    (bye,) = alice.sent("BYE")
    assert round(bye.at - alice.sent("UPDATE")[0].at, 6) == 32  # timer F: 64 * T1
    assert not alice.ua.dialogs and not bob.ua.dialogs


def test_the_callee_refreshes_by_reinvite_when_the_caller_knows_no_session_timers() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, bob_session=SessionTimerConfig(expires=120, refresh_method="INVITE"))
    established(clock, alice, bob)
    (ok,) = bob.sent("200", "INVITE")
    assert ok.message.headers.get("Session-Expires") == "120;refresher=uas"
    assert ok.message.headers.get("Require") is None
    clock.advance(200)
    reinvites = bob.sent("INVITE")
    assert [round(s.at - ok.at, 6) for s in reinvites] == [
        60,
        120.02,
        180.04,
    ]  # restarted by each 2xx
    assert len(bob.sent("ACK")) == 3
    assert alice.ua.dialogs and bob.ua.dialogs
