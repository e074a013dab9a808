"""netsim's SMSC / USSD gateway on its own (no FleetPBX): a handset's USSD when nothing is
bound to the SMSC, and the SMSC's settings from ``fleetpbx netsim``'s options."""

from __future__ import annotations

import argparse

import pytest
from aiohttp import web

from fleet.cli_netsim import SMPP_PORT, smsc_settings
from fleet.config import load_settings
from fleet.core.numbering import E164
from simulators.netsim.control import USSD_STATUS
from simulators.netsim.handset import Handset, HandsetState
from simulators.netsim.handsets import OUTSIDE
from simulators.netsim.smsc_gateway import (
    SmscSettings,
    UssdError,
    UssdGatewaySim,
    UssdProblem,
    UssdState,
    gateway_of,
    reply_text,
)
from simulators.netsim.ussd import load_dialler
from simulators.smppwire import ShortMessage
from simulators.smsc import SmscSimulator
from tests.polling import eventually


def handset() -> Handset:
    return Handset(E164("+33611000071"), OUTSIDE)


async def test_a_code_dialled_while_fleetpbx_is_not_bound_fails_and_shows_why() -> None:
    async with SmscSimulator(port=0) as smsc:
        gateway = UssdGatewaySim(smsc=smsc)
        phone = handset()
        with pytest.raises(UssdError) as raised:
            await gateway.dial(phone, "*#21#")
        assert raised.value.problem is UssdProblem.NOT_BOUND
        shown = gateway.handset_view(phone)["ussd"]
        assert isinstance(shown, dict)
        assert (shown["dialled"], shown["state"], shown["menu"]) == ("*#21#", "failed", None)
        assert "not bound" in str(shown["error"])
        with pytest.raises(UssdError) as raised:  # a failed dialogue leaves no menu open
            await gateway.reply(phone, "1")
        assert raised.value.problem is UssdProblem.NO_MENU
        assert gateway.health() == {"port": smsc.port, "bound": False}


async def test_the_console_is_told_when_a_ussd_screen_changes_sent_then_failed() -> None:
    async with SmscSimulator(port=0) as smsc:
        gateway = UssdGatewaySim(smsc=smsc)
        told: list[str] = []
        gateway.changed = told.append
        with pytest.raises(UssdError):
            await gateway.dial(handset(), "*#21#")
        assert told == ["+33611000071", "+33611000071"]  # waiting, then failed


def test_an_sms_delivered_to_a_handset_tells_the_inbox_listeners() -> None:
    smsc = SmscSimulator(port=0)
    told: list[str] = []
    smsc.on_inbox.append(told.append)
    sms = ShortMessage(
        service_type="", source="+33609182236", source_ton=1, destination="33611000071",
        destination_ton=1, data_coding=0, text="Vous êtes connecté.", tlvs={},
    )  # fmt: skip
    smsc._receive(sms)
    assert told == ["+33611000071"]
    assert [m.text for m in smsc.inbox["+33611000071"]] == ["Vous êtes connecté."]


async def test_a_switched_off_handset_sends_no_ussd() -> None:
    async with SmscSimulator(port=0) as smsc:
        gateway = UssdGatewaySim(smsc=smsc)
        phone = handset()
        phone.state = HandsetState.OFF
        with pytest.raises(UssdError) as raised:
            await gateway.dial(phone, "*#21#")
        assert raised.value.problem is UssdProblem.HANDSET_UNREACHABLE
        assert gateway.screen(phone) is None  # nothing sent, nothing shown


def test_a_netsim_without_its_smsc_refuses_ussd() -> None:
    with pytest.raises(UssdError) as raised:
        gateway_of(web.Application())
    assert raised.value.problem is UssdProblem.SMSC_OFF


@pytest.mark.parametrize("raw", [None, "", "   ", [1], True, "😀" * 40_000])
def test_a_menu_reply_must_be_text_smpp_can_carry(raw: object) -> None:
    with pytest.raises(UssdError) as raised:
        reply_text(raw)
    assert raised.value.problem is UssdProblem.INVALID_TEXT


@pytest.mark.parametrize(("raw", "text"), [("1", "1"), (2, "2"), (" 0 ", "0"), ("oui", "oui")])
def test_a_menu_reply_is_taken_as_typed(raw: object, text: str) -> None:
    assert reply_text(raw) == text


def options(**given: object) -> argparse.Namespace:
    values = {"netsim_no_smpp": False, "netsim_smpp_port": None, "netsim_smpp_host": None}
    return argparse.Namespace(**(values | given))


def test_the_smsc_binds_fleetpbx_with_its_own_settings() -> None:
    settings = load_settings(
        cli={}, env={"FLEETPBX_SMPP_PORT": "2900", "FLEETPBX_SMPP_PASSWORD": "pw"}
    )
    assert smsc_settings(options(), settings) == SmscSettings(
        host="127.0.0.1", port=2900, system_id="fleetpbx", password="pw"
    )
    given = smsc_settings(options(netsim_smpp_port=0, netsim_smpp_host="0.0.0.0"), settings)
    assert given is not None
    assert (given.host, given.port) == ("0.0.0.0", 0)
    default = smsc_settings(options(), load_settings(cli={}, env={}))
    assert default is not None
    assert default.port == SMPP_PORT
    assert smsc_settings(options(netsim_no_smpp=True), settings) is None


def test_every_ussd_problem_has_its_http_status() -> None:
    assert set(USSD_STATUS) == set(UssdProblem)


async def test_the_load_dials_feature_codes_as_ussd_dialogues_of_their_own() -> None:
    async with SmscSimulator(port=0) as smsc:
        gateway = UssdGatewaySim(smsc=smsc)
        told: list[str] = []
        gateway.changed = told.append
        phone = handset()
        load_dialler(gateway)(phone, "*#21#")  # not waited for: the load goes on
        await eventually(lambda: len(told) == 2, what="the dialogue over")
        screen = gateway.screen(phone)
        assert screen is not None and screen.state is UssdState.FAILED  # nothing bound
