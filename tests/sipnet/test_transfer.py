"""Transfer (#1, DESIGN §4) through FleetPBX on SIP, in virtual time: B, with A held and C
active, asks for the transfer by INFO keys or by REFER; FleetPBX joins A and C by third-party
call control (A re-INVITEd without SDP, A's offer to C in a re-INVITE, C's answer in A's ACK) and
BYEs B's dialogs (:mod:`fleet.sipnet.incall`, :mod:`fleet.sipnet.transfer`)."""

from __future__ import annotations

from fleet.core.values import CallEventKind, CallOutcome
from fleet.sip.ua_calls import Answer, Refusal
from tests.sipnet.incall_support import (
    A_OFFER,
    C_ANSWER,
    SPECIAL,
    B,
    C,
    Scene,
    ended,
    held_and_second_call,
)

HOLD_BY_C = C_ANSWER + b"a=sendonly\r\n"


def offered_by_a_and_answered_by_c(scene: Scene) -> None:
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    scene.handset_phones.outcomes[scene.handset_dialog(C).id] = [Answer(C_ANSWER)]


def joined(scene: Scene) -> None:
    """A and C were re-INVITEd with each other's session, B's two dialogs BYEd."""
    c = scene.c
    to_a = scene.reinvites_to(c.to_scscf)
    assert to_a[-1].body == b"", "A is re-INVITEd without SDP"
    assert scene.caller_phones.asked[scene.a.id][-1] == b""
    assert scene.reinvites_to(c.to_handsets)[-1].body == A_OFFER, "A's offer goes to C"
    acks = [ack for ack in scene.sent(c.to_scscf, "ACK") if ack.call_id == scene.a.id.call_id]
    assert acks[-1].body == C_ANSWER, "C's answer returns in A's ACK"
    assert acks[-1].headers.get("Content-Type") == "application/sdp"
    byes = scene.sent(c.to_scscf, "BYE") + scene.sent(c.to_handsets, "BYE")
    assert {bye.call_id for bye in byes} == {
        scene.b_active.id.call_id,
        scene.handset_dialog(B).id.call_id,
    }, "B's dialogs, and only them"
    assert scene.a.state.value == "confirmed" and scene.handset_dialog(C).state.value == (
        "confirmed"
    )
    assert c.engine.active_calls == 1


def transferred_then_a_hangs_up(scene: Scene) -> None:
    c = scene.c
    c.scscf.bye(scene.a)
    c.advance(1.0)
    assert scene.sent(c.to_handsets, "BYE")[-1].call_id == scene.handset_dialog(C).id.call_id
    ended(scene)
    kinds = [[e.kind for e in record.events] for record in c.records.items]
    assert all(CallEventKind.TRANSFERRED in k for k in kinds) and len(kinds) == 2
    assert all(record.outcome == CallOutcome.ANSWERED for record in c.records.items)


def test_info_hash_one_from_b_joins_a_and_c_and_releases_b() -> None:
    scene = held_and_second_call()
    offered_by_a_and_answered_by_c(scene)
    scene.info(scene.b_active, "#")
    scene.c.advance(0.5)
    assert scene.c.engine.active_calls == 2, "# alone does nothing"
    scene.info(scene.b_active, "1")
    scene.c.advance(2.0)
    joined(scene)
    c_dialog = scene.handset_dialog(C)
    held = scene.reinvite(scene.c.handsets, c_dialog, HOLD_BY_C)
    scene.c.advance(1.0)
    assert held.final_status == 200, "A and C are bridged for later offers"
    assert scene.caller_phones.asked[scene.a.id][-1] == HOLD_BY_C
    transferred_then_a_hangs_up(scene)


def test_refer_from_b_transfers_with_202_and_a_notify_before_bs_dialogs_end() -> None:
    scene = held_and_second_call()
    offered_by_a_and_answered_by_c(scene)
    scene.refer(scene.b_active, f"sip:{C}@192.0.2.1;user=phone")
    scene.c.advance(2.0)
    c = scene.c
    assert scene.responses(c.to_scscf, "202", "REFER") == 1
    (notify,) = scene.sent(c.to_scscf, "NOTIFY")
    assert notify.body == b"SIP/2.0 200 OK\r\n"
    assert notify.headers.get("Event") == "refer"
    assert notify.headers.get("Content-Type") == "message/sipfrag;version=2.0"
    assert (notify.headers.get("Subscription-State") or "").startswith("terminated")
    labels = [s.label for s in c.to_scscf.sent if s.message.call_id == scene.b_active.id.call_id]
    assert labels.index("NOTIFY") < labels.index("BYE")
    joined(scene)
    transferred_then_a_hangs_up(scene)


def test_c_refusing_the_new_session_488_releases_a_and_c() -> None:
    scene = held_and_second_call()
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    scene.handset_phones.outcomes[scene.handset_dialog(C).id] = [Refusal(488)]
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "1")
    scene.c.advance(2.0)
    c = scene.c
    acks = [ack for ack in scene.sent(c.to_scscf, "ACK") if ack.call_id == scene.a.id.call_id]
    assert acks[-1].body.startswith(b"v=0") and acks[-1].body != C_ANSWER, (
        "A's 2xx ACKed with the session it had"
    )
    bye_ids = {bye.call_id for bye in scene.sent(c.to_scscf, "BYE")}
    bye_ids |= {bye.call_id for bye in scene.sent(c.to_handsets, "BYE")}
    assert scene.a.id.call_id in bye_ids and scene.handset_dialog(C).id.call_id in bye_ids
    ended(scene)
    assert len(c.records.items) == 2


def test_c_answering_491_gets_the_offer_again_after_the_glare_delay() -> None:
    scene = held_and_second_call()
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    c_dialog = scene.handset_dialog(C)
    scene.handset_phones.outcomes[c_dialog.id] = [Refusal(491), Answer(C_ANSWER)]
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "1")
    scene.c.advance(1.0)
    assert scene.responses(scene.c.to_handsets, "491", "INVITE") == 0
    assert scene.handset_phones.asked[c_dialog.id] == [A_OFFER]
    scene.c.advance(5.0)
    assert scene.handset_phones.asked[c_dialog.id] == [A_OFFER, A_OFFER], "retried once"
    joined(scene)
    transferred_then_a_hangs_up(scene)


def test_491_twice_fails_the_transfer_and_releases_a_and_c() -> None:
    scene = held_and_second_call()
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    c_dialog = scene.handset_dialog(C)
    scene.handset_phones.outcomes[c_dialog.id] = [Refusal(491)]
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "1")
    scene.c.advance(6.0)
    assert scene.handset_phones.asked[c_dialog.id] == [A_OFFER, A_OFFER]
    ended(scene)


def test_a_transfer_to_an_08_number_is_refused_403_and_nothing_changes() -> None:
    scene = held_and_second_call(callee=SPECIAL)
    c = scene.c
    scene.refer(scene.b_active, f"sip:{SPECIAL}@192.0.2.1;user=phone")
    c.advance(1.0)
    assert scene.responses(c.to_scscf, "403", "REFER") == 1
    assert not scene.sent(c.to_scscf, "NOTIFY") and not scene.sent(c.to_scscf, "BYE")
    assert c.engine.active_calls == 2 and not scene.reinvites_to(c.to_handsets)
    c.scscf.bye(scene.b_active)
    c.scscf.bye(scene.a)
    ended(scene)


def test_a_transfer_without_a_held_call_is_refused_403() -> None:
    scene = held_and_second_call(hold=False)
    scene.refer(scene.b_active, f"sip:{C}@192.0.2.1;user=phone")
    scene.c.advance(1.0)
    assert scene.responses(scene.c.to_scscf, "403", "REFER") == 1
    scene.c.scscf.bye(scene.b_active)
    scene.c.scscf.bye(scene.a)
    ended(scene)


def test_info_with_another_body_type_is_refused_415() -> None:
    scene = held_and_second_call()
    scene.c.scscf.request_in(scene.b_active, "INFO", body=b"1", content_type="text/plain")
    scene.c.advance(1.0)
    assert scene.responses(scene.c.to_scscf, "415", "INFO") == 1
    assert scene.c.engine.active_calls == 2
    scene.c.scscf.bye(scene.b_active)
    scene.c.scscf.bye(scene.a)
    ended(scene)


def test_hash_one_while_c_still_rings_joins_a_and_c_once_c_answers() -> None:
    scene = held_and_second_call(callee_answers_after=10.0)
    c = scene.c
    offered_by_a_and_answered_by_c(scene)
    b_held = scene.handset_dialog(B)
    scene.info(b_held, "#", ua=c.handsets)
    scene.info(b_held, "1", ua=c.handsets)
    c.advance(1.0)
    assert scene.b_call.final_status is not None and scene.b_call.final_status >= 300, (
        "B's ringing call is ended"
    )
    assert scene.sent(c.to_handsets, "BYE")[-1].call_id == b_held.id.call_id
    assert not scene.reinvites_to(c.to_scscf)[1:], "A waits for C's answer"
    c.advance(10.0)
    assert scene.reinvites_to(c.to_scscf)[-1].body == b""
    assert scene.reinvites_to(c.to_handsets)[-1].body == A_OFFER
    acks = [ack for ack in scene.sent(c.to_scscf, "ACK") if ack.call_id == scene.a.id.call_id]
    assert acks[-1].body == C_ANSWER and c.engine.active_calls == 1
    transferred_then_a_hangs_up(scene)


def test_a_hanging_up_while_it_is_being_joined_ends_everything() -> None:
    scene = held_and_second_call()
    offered_by_a_and_answered_by_c(scene)
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "1")
    scene.c.to_scscf.delay("INVITE", 0.5, occurrence=2)  # the re-INVITE of A, late
    scene.c.advance(0.1)
    assert scene.c.engine.active_calls == 1, "the transfer is under way"
    assert (
        len(scene.reinvites_to(scene.c.to_scscf)) == 2
        and not scene.caller_phones.asked[scene.a.id][1:]
    ), "A's re-INVITE is on its way"
    scene.c.scscf.bye(scene.a)  # crosses FleetPBX's re-INVITE
    scene.c.advance(2.0)
    assert scene.c.engine.active_calls == 0
    ended(scene)


def test_a_hanging_up_before_the_keys_are_read_leaves_b_with_c() -> None:
    scene = held_and_second_call()
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "1")
    scene.c.scscf.bye(scene.a)  # reaches FleetPBX right after the keys: no held call left
    scene.c.advance(2.0)
    assert scene.c.engine.active_calls == 1 and scene.b_active.state.value == "confirmed"
    scene.c.scscf.bye(scene.b_active)
    ended(scene)
