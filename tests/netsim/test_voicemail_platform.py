"""netsim's voicemail platform in virtual time (issue 16 item 7), a user agent playing
FleetPBX: a call to the platform's number is answered at once, the mailbox is the latest
diversion's number (Diversion, else History-Info), the caller is noted, and the platform
hangs up after the message; other numbers still reach their handsets; the console's "why"
says voicemail."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fleet.core.model import CallEvent
from fleet.core.numbering import E164
from fleet.core.values import CallEventKind, ForwardingKind, Language
from simulators.netsim import console_texts
from simulators.netsim.control import NETSIM, add_routes
from simulators.netsim.diverted import ForwardReason
from tests.netsim.virtual_netsim import virtual

PLATFORM = E164("+33699999123")


def test_the_platform_answers_opens_the_diverting_line_s_mailbox_and_hangs_up() -> None:
    v = virtual(voicemail=PLATFORM, message_seconds=4)
    v.invite(
        f"tel:{PLATFORM.value}",
        [
            ("P-Asserted-Identity", "<tel:+33699000007>"),
            ("Diversion", "<tel:+33611000002>;reason=user-busy;counter=2"),
            ("Diversion", "<tel:+33611000001>;reason=unconditional;counter=1"),
        ],
    )
    v.clock.advance(0.5)
    platform = v.netsim.voicemail
    assert platform is not None
    [deposit] = platform.deposits
    assert (deposit.mailbox, deposit.reason, deposit.caller) == (
        E164("+33611000002"),
        ForwardReason.BUSY,
        E164("+33699000007"),
    )
    assert v.fleetpbx.outgoing[0].final_status == 200
    assert platform.view()["deposits"][0]["recording"] is True  # type: ignore[index]
    v.clock.advance(4)
    assert deposit.ended is not None  # the platform's BYE after the message
    assert v.fleetpbx.dialogs == {}
    assert platform.view()["deposits"] == [
        {
            "mailbox": "06 11 00 00 02",
            "mailbox_e164": "+33611000002",
            "reason": "busy",
            "caller": "06 99 00 00 07",
            "sip_call_id": deposit.sip_call_id,
            "recording": False,
        }
    ]
    v.clock.advance(64)
    assert v.netsim.scscf.ua.calls_held == 0 and v.fleetpbx.calls_held == 0


def test_history_info_names_the_group_s_mailbox_and_a_hidden_caller_stays_hidden() -> None:
    v = virtual(voicemail=PLATFORM)
    v.invite(
        f"tel:{PLATFORM.value}",
        [
            ("P-Asserted-Identity", "<tel:+33699000007>"),
            ("Privacy", "id"),
            ("History-Info", "<tel:+33609182236>;index=1"),
            ("History-Info", f"<tel:{PLATFORM.value};cause=408>;index=1.1;mp=1"),
        ],
    )
    v.clock.advance(0.5)
    assert v.netsim.voicemail is not None
    [deposit] = v.netsim.voicemail.deposits
    assert (deposit.mailbox, deposit.reason, deposit.caller) == (
        E164("+33609182236"),
        ForwardReason.NO_REPLY,
        None,
    )
    v.fleetpbx.bye(next(iter(v.fleetpbx.dialogs.values())))  # the caller hangs up first
    v.clock.advance(1)
    assert deposit.ended is not None
    v.clock.advance(64)
    assert v.netsim.scscf.ua.calls_held == 0 and v.fleetpbx.calls_held == 0


def test_without_a_platform_the_number_is_an_outside_handset() -> None:
    v = virtual()
    v.invite(f"tel:{PLATFORM.value}")
    v.clock.advance(0.5)
    assert v.netsim.voicemail is None
    assert v.netsim.handset("0699999123").legs  # it rings like any outside number
    v.clock.advance(3)
    v.netsim.hang_up(v.netsim.handset("0699999123"))
    v.clock.advance(64)
    assert v.netsim.calls.active == {}


def test_the_console_says_a_forward_went_to_voicemail() -> None:
    event = CallEvent(
        seq=1,
        at=datetime(2026, 12, 3, tzinfo=UTC),
        kind=CallEventKind.FORWARDED,
        forwarding_kind=ForwardingKind.BUSY,
        from_number="+33611000002",
        to_number=PLATFORM.value,
        detail={"target": "voicemail"},
    )

    def party(number: str | None) -> str:
        return number or "?"

    assert console_texts.why(event, Language.FR, party=party) == (
        "Renvoyé de +33611000002 vers +33699999123 : renvoi sur occupation (messagerie vocale)"
    )
    assert console_texts.why(event, Language.EN, party=party).endswith(
        "forwarding on busy (voicemail)"
    )


async def test_the_control_api_lists_the_deposits_or_says_there_is_no_platform() -> None:
    for platform in (PLATFORM, None):
        built = virtual(voicemail=platform)
        app = web.Application()
        app[NETSIM] = built.netsim
        add_routes(app)
        if platform is not None:
            built.invite(
                f"tel:{PLATFORM.value}",
                [("Diversion", "<tel:+33611000004>;reason=unconditional;counter=1")],
            )
            built.clock.advance(0.5)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/voicemail")
            shown = await response.json()
        if platform is None:
            assert (response.status, shown["code"]) == (404, "no_voicemail")
            continue
        assert response.status == 200
        assert (shown["number"], shown["e164"]) == ("06 99 99 91 23", PLATFORM.value)
        assert [(d["mailbox"], d["reason"], d["recording"]) for d in shown["deposits"]] == [
            ("06 11 00 00 04", "unconditional", True)
        ]
        built.clock.advance(64)
        assert built.netsim.scscf.ua.calls_held == 0
