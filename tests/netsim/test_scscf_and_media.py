"""netsim's S-CSCF and media server in virtual time, a user agent playing FleetPBX: the
originating and terminating INVITEs carry what FleetPBX reads (P-Served-User and its session
case, P-Asserted-Identity, Privacy, the ICID, the cell), the filter criteria send other numbers
straight to their handsets, and the media server answers FleetPBX's announcement and conference
URIs, plays, BYEs and reports."""

from __future__ import annotations

import json
from typing import Any

from simulators.netsim.handset import HandsetState
from tests.netsim.virtual_netsim import NETSIM, SDP, Virtual, virtual


def screen(v: Virtual, number: str) -> dict[str, Any]:
    """What the handset shows, as the control API renders it (JSON)."""
    shown: dict[str, Any] = json.loads(json.dumps(v.netsim.handset_view(v.netsim.handset(number))))
    return shown["screen"]  # type: ignore[no-any-return]


def settle(v: Virtual) -> None:
    v.clock.advance(64)
    assert v.netsim.calls.active == {}
    assert v.netsim.scscf.book.held == 0
    assert v.netsim.scscf.ua.calls_held == 0 and v.fleetpbx.calls_held == 0


def test_a_lines_call_goes_to_fleetpbx_as_originating_with_the_dialled_digits() -> None:
    v = virtual()
    handset = v.netsim.handset("0611000001")
    handset.state = HandsetState.ABROAD
    call = v.netsim.dial(handset, "#31#2002")
    v.clock.advance(1)
    (invite,) = v.invites()
    assert str(invite.uri) == "sip:%2331%232002@192.0.2.10:5060;user=phone"
    headers = invite.headers
    assert headers.get("P-Served-User") == "<tel:+33611000001>;sescase=orig;regstate=reg"
    assert headers.get("P-Asserted-Identity") == "<tel:+33611000001>"
    assert f"icid-value={call.icid}" in (headers.get("P-Charging-Vector") or "")
    assert "utran-cell-id-3gpp=214" in (headers.get("P-Access-Network-Info") or "")
    assert b"m=audio" in invite.body
    v.netsim.hang_up(handset)  # before the answer: CANCEL
    settle(v)
    assert v.received[0].final_status == 487


def test_an_outside_call_to_a_line_goes_to_fleetpbx_as_terminating_hidden_by_31() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.answer(call, body=SDP, content_type="application/sdp")
    outside = v.netsim.handset("0699000001", create=True)
    v.netsim.dial(outside, "#31#06 11 00 00 04")
    v.clock.advance(1)
    (invite,) = v.invites()
    assert str(invite.uri) == "sip:+33611000004@192.0.2.10:5060;user=phone"
    headers = invite.headers
    assert headers.get("P-Served-User") == "<tel:+33611000004>;sescase=term;regstate=reg"
    assert headers.get("Privacy") == "id" and headers.get("P-Asserted-Identity") is None
    assert "anonymous.invalid" in (headers.get("From") or "")
    assert screen(v, "0699000001")["in_call_with"] == ["06 11 00 00 04"]
    v.netsim.hang_up(outside)
    settle(v)


def test_a_call_between_outside_numbers_never_reaches_fleetpbx() -> None:
    v = virtual()
    outside = v.netsim.handset("0699000001", create=True)
    v.netsim.dial(outside, "0699000002")
    v.clock.advance(2.5)  # the callee answers after 2 s
    assert v.invites() == []
    assert screen(v, "0699000002")["in_call_with"] == ["06 99 00 00 01"]
    v.netsim.hang_up(outside)
    settle(v)


def test_a_terminating_b_leg_rings_the_handset_showing_the_caller_or_hiding_it() -> None:
    v = virtual()
    v.invite("tel:+33611000003", [("P-Asserted-Identity", "<tel:+33699000007>")])
    v.invite("tel:+33611000005", [("P-Asserted-Identity", "<tel:+33699000007>"), ("Privacy", "id")])
    v.clock.advance(0.5)
    assert screen(v, "0611000003")["ringing_from"] == "06 99 00 00 07"
    assert screen(v, "0611000005")["ringing_from"] == "Numéro masqué"
    v.clock.advance(2)  # both answer after 2 s
    assert screen(v, "0611000003")["in_call_with"] == ["06 99 00 00 07"]
    assert screen(v, "0611000005")["in_call_with"] == ["Numéro masqué"]
    v.netsim.hang_up(v.netsim.handset("0611000003"))
    v.netsim.hang_up(v.netsim.handset("0611000005"))
    settle(v)


def test_an_originating_b_leg_to_a_colleague_visits_fleetpbx_again_as_terminating() -> None:
    v = virtual()
    v.invite(
        "tel:+33611000002",
        [
            ("P-Served-User", "<tel:+33611000001>;sescase=orig"),
            ("P-Asserted-Identity", "<tel:+33611000001>"),
            ("P-Charging-Vector", "icid-value=abc123"),
        ],
    )
    v.clock.advance(0.5)
    (invite,) = v.invites()
    assert invite.headers.get("P-Served-User") == "<tel:+33611000002>;sescase=term;regstate=reg"
    assert "icid-value=abc123" in (invite.headers.get("P-Charging-Vector") or "")
    assert invite.body == SDP  # the caller's offer, relayed
    assert [c.icid for c in v.netsim.calls.active.values()] == ["abc123"]
    b_leg, terminating = v.fleetpbx.outgoing[0], v.received[0]
    v.fleetpbx.cancel(b_leg)  # the caller gave up: the CANCEL is relayed
    v.clock.advance(1)
    assert terminating.final_status == 487 and b_leg.final_status == 487
    settle(v)


def test_an_announcement_is_answered_played_and_ended_by_the_media_server() -> None:
    v = virtual(announcement_seconds=4)
    v.invite(f"sip:annc@{NETSIM.host}:{NETSIM.port};play=file:///announcements/number_unknown.wav")
    v.invite(f"sip:annc@{NETSIM.host};play=file:///announcements/please_hold.wav;repeat=forever")
    v.clock.advance(1)
    played = v.netsim.media.played
    assert [(p.prompt, p.repeat, p.ended) for p in played] == [
        ("file:///announcements/number_unknown.wav", False, None),
        ("file:///announcements/please_hold.wav", True, None),
    ]
    v.clock.advance(4)
    assert [p.ended is None for p in played] == [False, True]  # BYEd after 4 s, not the music
    for dialog in list(v.fleetpbx.dialogs.values()):
        v.fleetpbx.bye(dialog)  # FleetPBX stops the music
    settle(v)
    assert [p.ended is None for p in played] == [False, False]


def test_conference_legs_join_and_leave_their_room() -> None:
    v = virtual()
    for _ in range(3):
        v.invite(f"sip:conf-conf-7@{NETSIM.host}")
    v.clock.advance(1)
    (room,) = v.netsim.media.rooms.values()
    assert (room.name, len(room.present), room.joined) == ("conf-conf-7", 3, 3)
    first = next(iter(v.fleetpbx.dialogs.values()))
    v.fleetpbx.bye(first)
    v.clock.advance(1)
    assert (len(room.present), room.joined) == (2, 3)
    for dialog in list(v.fleetpbx.dialogs.values()):
        v.fleetpbx.bye(dialog)
    settle(v)
