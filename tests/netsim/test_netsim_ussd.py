"""netsim's SMSC / USSD gateway against ``fleetpbx serve --network sip`` bound to it over
SMPP: handsets dial feature codes through ``POST /dial`` (USSD, not a call), the answer shows
on their screen, menus are answered, FleetPBX's SMS land in their inboxes, and the calls that
follow are routed by what the codes changed (FleetPBX's call records)."""

from __future__ import annotations

from typing import Any

import pytest

from fleet import cli
from fleet.core.values import CallEventKind, ForwardingKind
from simulators.netsim.smsc_gateway import UssdError, UssdProblem, ussd_string
from tests.netsim.processes import Pair
from tests.netsim.ussd_seeded import ADMIN_CODE, GROUP, USER_CODE, ussd_line
from tests.polling import eventually

CALLER = "0699000071"  # an outside handset calling the USSD tests' lines


async def bound(pair: Pair) -> None:
    """FleetPBX bound to netsim's SMSC (it may have started first and be backing off)."""

    async def up() -> bool:
        smpp = (await pair.get("/healthz"))["smpp"]
        return bool(smpp and smpp["bound"])

    await eventually(up, within=90.0, every=0.2, what="FleetPBX bound to netsim's SMSC")


async def dial_code(pair: Pair, number: str, code: str) -> dict[str, Any]:
    answer: dict[str, Any] = await pair.post("/dial", {"from": number, "to": code}, status=200)
    return answer


def handset_legs(call: dict[str, Any]) -> list[str]:
    return [leg["handset"] for leg in call["legs"] if leg["kind"] == "handset"]


async def call_and_hang_up(pair: Pair, to: str, answered_by: str) -> dict[str, Any]:
    """CALLER calls ``to``; once ``answered_by`` talks to it, the call as netsim shows it,
    and everyone hangs up."""
    call: dict[str, Any] = await pair.post("/dial", {"from": CALLER, "to": to}, status=201)
    await pair.until_handset(
        answered_by, lambda h: h["screen"]["in_call_with"] == ["06 99 00 00 71"], "answered"
    )
    calls = await pair.get("/calls")
    (shown,) = [c for c in calls["calls"] if c["icid"] == call["icid"]]
    await pair.post("/hang_up", {"number": CALLER})
    await pair.until_handset(answered_by, lambda h: not h["legs"], "hung up")
    await pair.idle()
    return dict(shown)


def forwarded(events: list[tuple[CallEventKind, ForwardingKind | None]]) -> list[str]:
    return [str(k) for e, k in events if e is CallEventKind.FORWARDED and k is not None]


@pytest.mark.parametrize(
    ("dialled", "sent"),
    [
        ("**21*0612345678#", "**21*0612345678#"),
        ("#21#", "#21#"),
        ("*#21#", "*#21#"),
        ("*55*0609182271*1703#", "*55*0609182271*1703#"),
        ("*700#", "*700#"),
        ("#31#", "#31#"),
        (" * 100 # ", "*100#"),
        ("#31#0612345678", None),  # a call, its number hidden
        ("*31#0612345678", None),
        ("0612345678", None),
        ("2002", None),
        ("#1", None),  # not a */#…# string: an in-call key, not USSD
    ],
)
def test_a_star_or_hash_string_ending_with_hash_is_sent_as_ussd(
    dialled: str, sent: str | None
) -> None:
    assert ussd_string(dialled) == sent


@pytest.mark.parametrize("dialled", ["##", "###", "*2a1#", "#21 x#"])
def test_a_star_hash_string_that_is_no_ussd_string_is_refused(dialled: str) -> None:
    with pytest.raises(UssdError) as raised:
        ussd_string(dialled)
    assert raised.value.problem is UssdProblem.INVALID_USSD


@pytest.mark.parametrize("port", ["-1", "65536"])
def test_netsim_refuses_a_bad_smpp_port_with_exit_2(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["netsim", "--fleetpbx", "127.0.0.1:5060", "--smpp-port", port]
    assert cli.main(argv) == 2
    assert "--smpp-port" in capsys.readouterr().err


@pytest.mark.slow
async def test_netsim_reports_its_smsc_and_fleetpbx_bound_to_it(pair: Pair) -> None:
    await bound(pair)
    smpp = (await pair.get("/healthz"))["smpp"]
    assert smpp["port"] > 0
    shown = await pair.handset(ussd_line(71))  # a line no SMS is sent to
    assert "ussd" in shown
    assert (shown["sms"], shown["sms_count"]) == ([], 0)
    assert await pair.get(f"/handsets/{ussd_line(71)}/sms") == {
        "number": "06 11 00 00 71",
        "sms": [],
    }


@pytest.mark.slow
async def test_a_line_forwards_its_calls_with_21_interrogates_and_cancels(pair: Pair) -> None:
    await bound(pair)
    line, target = ussd_line(71), ussd_line(72)
    answer = await dial_code(pair, line, f"**21*{target}#")
    assert answer["number"] == "06 11 00 00 71"
    screen = answer["ussd"]
    assert (screen["state"], screen["menu"], screen["refused"]) == ("answered", None, False)
    assert screen["text"] == "Renvoi immédiat activé vers 06 11 00 00 72."
    assert (await pair.handset(line))["ussd"] == screen  # what the handset's screen shows

    call = await call_and_hang_up(pair, line, answered_by=target)
    assert "06 11 00 00 71" not in handset_legs(call)  # forwarded: line 71 never rang
    (record,) = await pair.records(call["icid"], 1)
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["unconditional"]

    status = (await dial_code(pair, line, "*#21#"))["ussd"]
    assert status["state"] == "answered"
    assert status["text"] == "Renvoi immédiat : actif vers 06 11 00 00 72"
    cancelled = (await dial_code(pair, line, "#21#"))["ussd"]
    assert cancelled["text"] == "Renvoi immédiat désactivé."
    status = (await dial_code(pair, line, "*#21#"))["ussd"]
    assert status["text"] == "Renvoi immédiat : inactif"

    call = await call_and_hang_up(pair, line, answered_by=line)
    (record,) = await pair.records(call["icid"], 1)
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == []


@pytest.mark.slow
async def test_a_member_connects_to_the_group_by_code_between_two_calls(pair: Pair) -> None:
    await bound(pair)
    member = ussd_line(73)
    first: dict[str, Any] = await pair.post("/dial", {"from": CALLER, "to": GROUP}, status=201)
    await pair.until_handset(CALLER, lambda h: not h["legs"], "the first call over")
    await pair.idle()
    ended = await pair.get("/calls?ended=1")
    (shown,) = [c for c in ended["ended"] if c["icid"] == first["icid"]]
    assert handset_legs(shown) == ["06 99 00 00 71"]  # no member rang: none is connected

    answer = (await dial_code(pair, member, f"*55*{GROUP}*{USER_CODE}#"))["ussd"]
    assert answer["text"] == "Connecté au groupe Taxis USSD."
    second = await call_and_hang_up(pair, GROUP, answered_by=member)
    assert "06 11 00 00 73" in handset_legs(second)
    assert "06 11 00 00 74" not in handset_legs(second)

    answer = (await dial_code(pair, member, f"#55*{GROUP}*{USER_CODE}#"))["ussd"]
    assert answer["text"] == "Déconnecté du groupe Taxis USSD."


@pytest.mark.slow
async def test_a_member_connected_with_the_admin_code_gets_an_sms(pair: Pair) -> None:
    await bound(pair)
    admin, member = ussd_line(73), ussd_line(74)
    answer = (await dial_code(pair, admin, f"*56*{GROUP}*{ADMIN_CODE}*2074#"))["ussd"]
    assert answer["text"] == "USSD 74 est connecté au groupe Taxis USSD."
    shown = await pair.until_handset(member, lambda h: h["sms_count"] >= 1, "the SMS received")
    expected = "Vous avez été connecté au groupe Taxis USSD avec son code administratif."
    assert [sms["text"] for sms in shown["sms"]] == [expected]
    inbox = await pair.get(f"/handsets/{member}/sms")
    assert inbox == {"number": "06 11 00 00 74", "sms": shown["sms"]}
    assert (await pair.handset(admin))["sms_count"] == 0  # its own change: no SMS
    await dial_code(pair, admin, f"#56*{GROUP}*{ADMIN_CODE}*2074#")


@pytest.mark.slow
async def test_a_menu_is_shown_answered_and_closed(pair: Pair) -> None:
    await bound(pair)
    line = ussd_line(72)
    menu = (await dial_code(pair, line, "*700#"))["ussd"]
    assert menu["state"] == "menu"
    assert menu["menu"] == menu["text"]
    assert menu["text"].startswith("PABX mobile\n1 Renvois")
    shown = (await pair.handset(line))["ussd"]
    assert shown["menu"] == menu["text"]
    sub = (await pair.post("/ussd/reply", {"number": line, "text": 1}, status=200))["ussd"]
    assert (sub["state"], sub["sent"], sub["dialled"]) == ("menu", "1", "*700#")
    assert sub["menu"].startswith("Immédiat : inactif\n")  # the forwarding menu
    back = (await pair.post("/ussd/reply", {"number": line, "text": "0"}, status=200))["ussd"]
    assert back["menu"] == menu["text"]  # 0: back to the top
    bye = (await pair.post("/ussd/reply", {"number": line, "text": "0"}, status=200))["ussd"]
    assert (bye["state"], bye["menu"]) == ("answered", None)  # 0 at the top: closed
    assert (await pair.handset(line))["ussd"] == bye
    refused = await pair.post("/ussd/reply", {"number": line, "text": "1"}, status=409)
    assert refused["code"] == "no_menu"


@pytest.mark.slow
async def test_bad_ussd_requests_are_refused_and_change_nothing(pair: Pair) -> None:
    await bound(pair)
    line = ussd_line(74)
    before = (await pair.handset(line))["ussd"]
    refused = await pair.post("/ussd/reply", {"number": line, "text": "1"}, status=409)
    assert refused["code"] == "no_menu"
    for body in ({"number": line}, {"number": line, "text": "  "}, {"number": line, "text": [1]}):
        refused = await pair.post("/ussd/reply", body, status=400)
        assert refused["code"] == "invalid_text"
    refused = await pair.post("/dial", {"from": line, "to": "##"}, status=400)
    assert refused["code"] == "invalid_ussd"
    refused = await pair.post("/ussd/reply", {"number": "0699999999", "text": "1"}, status=404)
    assert refused["code"] == "unknown_handset"
    await pair.post(f"/handsets/{line}/state", {"state": "off"})
    try:
        refused = await pair.post("/dial", {"from": line, "to": "*#21#"}, status=409)
        assert refused["code"] == "handset_unreachable"
    finally:
        await pair.post(f"/handsets/{line}/state", {"state": "on"})
    assert (await pair.handset(line))["ussd"] == before
