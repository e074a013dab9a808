"""USSD over SMPP end to end: the ESME adapter bound to the SMSC simulator over loopback TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from featurecodes.smpp import Backoff, NotBound, Timing, UssdGateway
from featurecodes.smpp.gateway import DEFAULT_ERROR_TEXT
from featurecodes.ussd import Sms, UssdOp, UssdReply, UssdRequest
from fleet.core.numbering import E164
from simulators.smppwire import (
    DELIVER_SM,
    ENQUIRE_LINK,
    ITS_SESSION_INFO,
    RESP,
    USSD_SERVICE_OP,
    address,
    short_message_body,
    tlv,
)
from simulators.smsc import SmscSimulator
from tests.polling import eventually

MSISDN = "+33612345678"
MENU = "Renvoi si occupé:\n1 Activer\n2 Désactiver"


class StubHandler:
    """Answers from a table; records every request. A menu for ``*#100#``."""

    def __init__(self) -> None:
        self.requests: list[UssdRequest] = []
        self.answers: dict[str, UssdReply | Exception] = {
            "*#21#": UssdReply("Renvoi inconditionnel : désactivé"),
            "*#100#": UssdReply(MENU, UssdOp.USSR_REQUEST),
            "1": UssdReply("Renvoi si occupé activé"),
        }
        self.delay = 0.0

    async def handle(self, request: UssdRequest) -> UssdReply:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers.get(request.text, UssdReply(f"Code inconnu: {request.text}"))
        if isinstance(answer, Exception):
            raise answer
        return answer


class RecordingSleep:
    """The gateway's backoff sleep: records each delay, then sleeps it."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)


FAST = Timing(
    connect_timeout=1.0, response_timeout=0.5, enquire_link_interval=30.0, handler_timeout=1.0
)
BACKOFF = Backoff(initial=0.02, factor=2.0, maximum=0.16, reset_after=5.0)


def make_gateway(smsc: SmscSimulator, handler: Any, **overrides: Any) -> UssdGateway:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "system_id": "fleetpbx",
        "password": "secret",
        "system_type": "USSD",
        "handler": handler,
        "timing": FAST,
        "backoff": BACKOFF,
        "sms_source": "FleetPBX",
    }
    options.update(overrides)
    if "port" not in options:
        options["port"] = smsc.port
    return UssdGateway(**options)


@asynccontextmanager
async def running(gateway: UssdGateway, smsc: SmscSimulator) -> AsyncIterator[UssdGateway]:
    await gateway.start()
    try:
        await eventually(lambda: gateway.bound and smsc.bound)
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture(autouse=True)
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)  # let done-callbacks run
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert left == [], f"tasks left behind: {left}"


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(answer_timeout=3.0) as simulator:
        yield simulator


@pytest.fixture
def handler() -> StubHandler:
    return StubHandler()


@pytest.fixture
async def gateway(smsc: SmscSimulator, handler: StubHandler) -> AsyncIterator[UssdGateway]:
    async with running(make_gateway(smsc, handler), smsc) as started:
        yield started


async def test_a_request_is_answered_end_to_end(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler
) -> None:
    assert await smsc.ussd(MSISDN, "*#21#") == "Renvoi inconditionnel : désactivé"
    [request] = handler.requests
    assert request.msisdn == E164(MSISDN)
    assert (request.text, request.op) == ("*#21#", UssdOp.PSSR_INDICATION)
    assert request.session is not None and request.session >= 0x9000  # session number >= 128
    [screen] = smsc.screens[MSISDN]
    assert (screen.op, screen.session_info, screen.data_coding) == (17, request.session, 0)
    [submit] = smsc.submits
    assert (submit.service_type, submit.destination, submit.source) == (
        "USSD",
        "33612345678",
        "*100#",
    )
    assert smsc.bind_attempts == [("fleetpbx", "secret", 0)]
    assert smsc.protocol_errors == []
    await eventually(lambda: gateway.stats.ussd_answers == 1)  # once submit_sm_resp is in


@pytest.mark.parametrize("msisdn", ["0612345678", "+33612345678"])
async def test_national_and_international_source_addresses(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler, msisdn: str
) -> None:
    await smsc.ussd(msisdn, "*#21#")
    assert handler.requests[0].msisdn == E164("+33612345678")


async def test_unknown_international_form_without_ton(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler
) -> None:
    # "33612345678" with TON unknown: the international form is accepted too
    body = short_message_body(
        source=(0, "33612345678"),
        destination=(0, "*100#"),
        data_coding=0,
        payload=b"*#21#",
        tlvs=tlv(USSD_SERVICE_OP, b"\x01") + tlv(ITS_SESSION_INFO, b"\x12\x00"),
    )
    response = await smsc.send_pdu(DELIVER_SM, body)
    assert (response.command_id, response.status) == (DELIVER_SM | RESP, 0)
    await eventually(lambda: gateway.stats.ussd_answers == 1)
    assert handler.requests[0].msisdn == E164("+33612345678")
    assert smsc.submits[0].session_info == 0x1200


async def test_a_menu_then_the_reply_keeps_its_session(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler
) -> None:
    assert await smsc.ussd(MSISDN, "*#100#") == MENU
    assert await smsc.reply(MSISDN, "1") == "Renvoi si occupé activé"
    first, second = handler.requests
    assert (first.op, second.op) == (UssdOp.PSSR_INDICATION, UssdOp.USSR_CONFIRM)
    assert first.session is not None and second.session == first.session | 0x02  # next unit
    menu, final = smsc.screens[MSISDN]
    assert (menu.op, final.op) == (2, 17)
    assert (menu.session_info, final.session_info) == (first.session, second.session)
    assert smsc.protocol_errors == []
    with pytest.raises(RuntimeError, match="no menu"):
        await smsc.reply(MSISDN, "2")


@pytest.mark.parametrize(
    ("answer", "data_coding"),
    [
        ("Renvoi activé vers 01 45 67 89 10", 0),  # é is in GSM 03.38
        ("Tarif: 0,15 € / min", 0),  # € is an extension character
        ("Coût", 8),  # û is not
        ("Переадресация включена", 8),
    ],
)
async def test_answers_in_gsm7_when_they_fit_else_ucs2(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler, answer: str, data_coding: int
) -> None:
    handler.answers["*#21#"] = UssdReply(answer)
    assert await smsc.ussd(MSISDN, "*#21#") == answer
    assert smsc.screens[MSISDN][-1].data_coding == data_coding


@pytest.mark.parametrize(
    ("text", "data_coding"), [("*21*0145678910#", 0), ("Café", 3), ("Привет", 8), ("é€", 0)]
)
async def test_user_text_is_decoded_per_data_coding(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler, text: str, data_coding: int
) -> None:
    await smsc.ussd(MSISDN, text, data_coding=data_coding)
    assert handler.requests[0].text == text


@pytest.mark.parametrize("answer", ["x" * 300, "Ж" * 200])
async def test_an_overlong_answer_does_not_break_the_adapter(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler, answer: str
) -> None:
    handler.answers["*#21#"] = UssdReply(answer)
    assert await smsc.ussd(MSISDN, "*#21#") == answer  # sent in message_payload
    assert await smsc.ussd(MSISDN, "*#100#") == MENU


@pytest.mark.parametrize(
    "failure", [RuntimeError("database down"), UssdReply(""), "timeout", "bad msisdn"]
)
async def test_a_failing_request_still_gets_a_clear_answer(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler, failure: object
) -> None:
    msisdn = MSISDN
    if failure == "timeout":
        handler.delay = 5.0
    elif failure == "bad msisdn":
        msisdn = "12"
    else:
        assert isinstance(failure, UssdReply | Exception)
        handler.answers["*#21#"] = failure
    assert await smsc.ussd(msisdn, "*#21#") == DEFAULT_ERROR_TEXT
    assert smsc.screens[msisdn][-1].op == 17


async def test_other_deliver_sm_are_acknowledged_without_the_handler(
    smsc: SmscSimulator, gateway: UssdGateway, handler: StubHandler
) -> None:
    def pdu(tlvs: bytes) -> bytes:
        return short_message_body(
            source=address(MSISDN), destination=(0, "*100#"), data_coding=0, payload=b"x", tlvs=tlvs
        )

    plain_sms = await smsc.send_pdu(DELIVER_SM, pdu(b""))
    ussn_confirm = await smsc.send_pdu(DELIVER_SM, pdu(tlv(USSD_SERVICE_OP, b"\x13")))
    unknown_op = await smsc.send_pdu(DELIVER_SM, pdu(tlv(USSD_SERVICE_OP, b"\x63")))
    assert [(r.command_id, r.status) for r in (plain_sms, ussn_confirm, unknown_op)] == [
        (DELIVER_SM | RESP, 0),
        (DELIVER_SM | RESP, 0),
        (DELIVER_SM | RESP, 0xC4),  # ESME_RINVOPTPARAMVAL
    ]
    assert handler.requests == []
    assert await smsc.ussd(MSISDN, "*#21#")


async def test_enquire_link_both_ways(smsc: SmscSimulator, handler: StubHandler) -> None:
    timing = Timing(response_timeout=0.5, enquire_link_interval=0.05)
    async with running(make_gateway(smsc, handler, timing=timing), smsc) as gateway:
        answer = await smsc.enquire_link()
        assert (answer.command_id, answer.status) == (ENQUIRE_LINK | RESP, 0)
        await eventually(lambda: smsc.enquire_links_received >= 3)
        assert gateway.bound and smsc.binds == 1


async def test_sms_sender_needs_a_bind(smsc: SmscSimulator, handler: StubHandler) -> None:
    gateway = make_gateway(smsc, handler)
    sms = Sms(E164(MSISDN), "Votre renvoi est actif")
    with pytest.raises(NotBound):
        await gateway.sms_sender.send(sms)
    async with running(gateway, smsc):
        await gateway.sms_sender.send(sms)
        await gateway.sms_sender.send(Sms(E164("+447700900123"), "Привет"))
    [received] = smsc.inbox[MSISDN]
    assert (received.text, received.data_coding, received.source) == (sms.text, 0, "FleetPBX")
    assert smsc.inbox["+447700900123"][0].data_coding == 8
    assert not smsc.bound
    with pytest.raises(NotBound):
        await gateway.sms_sender.send(sms)


async def test_stop_unbinds_and_start_binds_again(
    smsc: SmscSimulator, handler: StubHandler
) -> None:
    gateway = make_gateway(smsc, handler)
    async with running(gateway, smsc):
        pass
    await eventually(lambda: not smsc.bound)
    async with running(gateway, smsc):
        assert await smsc.ussd(MSISDN, "*#21#")
    assert smsc.binds == 2
