"""Interoperability with an SMPP implementation nobody here wrote: the SMSC side is the server
of ``smpp34`` (PyPI; Real Time Telecom B.V.: an SMPP 3.4 codec, client and server in Rust/tokio
behind an asyncio API), so every PDU of that side is built and parsed by it. Text in
``data_coding`` 0 is read and written with ``gsm0338`` (another independent package), never
with the adapter's codec (aiosmpplib).

Facts about smpp34 1.5.0 that shape these tests: its server accepts any bind (no password
check) and cannot tell which port it got when given port 0, so a free port is chosen first;
``Esme.deliver_sm`` returns once the ``deliver_sm_resp`` is in; a ``submit_sm`` waits for
``accept``/``reject`` from the test; it answers our enquire_link; and it closes the connection
on our ``unbind`` without an ``unbind_resp`` (the gateway has to stop cleanly all the same).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import gsm0338  # type: ignore[import-untyped]
import pytest
import smpp34

# smpp34 re-exports its TLV_* and ESME_* constants at run time; its stubs declare them here
from smpp34._smpp34 import (
    ESME_RMSGQFUL,
    TLV_ITS_SESSION_INFO,
    TLV_MESSAGE_PAYLOAD,
    TLV_USSD_SERVICE_OP,
)

from featurecodes.handler import FeatureCodeHandler
from featurecodes.smpp import Backoff, Timing, UssdGateway
from featurecodes.smpp import pdus as our_pdus
from featurecodes.smpp.shim import decode_deliver_sm, ussd_params
from featurecodes.ussd import UssdHandler, UssdOp, UssdReply
from fleet.core.clock import ManualClock
from fleet.core.numbering import E164
from fleet.core.values import Actor, ForwardingKind
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.polling import eventually
from tests.smpp_support import (
    CYRILLIC_ANSWER,
    GSM_ANSWER,
    MENU,
    ScriptedHandler,
    free_port,
    leftover_tasks,
)
from tests.world import build_world

MSISDN = "33611000001"  # line 0611000001 of tests.world, international form (TON 1)
USSD_CODE = "*100#"
GSM7 = gsm0338.Codec()
EVENT_TIMEOUT = 5.0

Event = smpp34.Esme | smpp34.SubmitSmEvent | smpp34.Unbound


def text_of(data_coding: int, raw: bytes) -> str:
    """A short message's text, by the SMPP 3.4 data_coding values a USSD answer may use."""
    if data_coding == 0:  # SMSC default alphabet: GSM 03.38, one septet an octet
        decoded: str = GSM7.decode(raw)[0]
        return decoded
    assert data_coding == 8, f"unexpected data_coding {data_coding}"
    return raw.decode("utf-16-be")


def session_info(number: int, sequence: int = 0, end: bool = False) -> int:
    """its_session_info: the session number, then 7 bits of sequence and the end flag."""
    return number << 8 | (sequence & 0x7F) << 1 | int(end)


def tlv_ints(tlvs: list[smpp34.Tlv]) -> dict[int, int | None]:
    return {tlv.tag: tlv.as_int() for tlv in tlvs}


@dataclass
class IndependentSmsc:
    """The smpp34 server, and the ESME sessions bound to it."""

    server: smpp34.Server
    port: int
    events: list[Event] = field(default_factory=list)

    async def next_event(self) -> Event:
        event = await asyncio.wait_for(self.server.next(), EVENT_TIMEOUT)
        self.events.append(event)
        return event

    async def bound_esme(self) -> smpp34.Esme:
        event = await self.next_event()
        assert isinstance(event, smpp34.Esme), event
        return event

    async def until_unbound(self) -> smpp34.Unbound:
        """The end of the ESME's session (events a failed test left unread are passed over)."""
        while not isinstance(event := await self.next_event(), smpp34.Unbound):
            pass
        return event

    async def ussd(
        self,
        esme: smpp34.Esme,
        text: str,
        *,
        op: UssdOp = UssdOp.PSSR_INDICATION,
        session: int,
        source: str = MSISDN,
        accept: bool = True,
    ) -> smpp34.SubmitSmEvent:
        """A handset's USSD string in a deliver_sm; returns the ESME's submit_sm, accepted
        (unless ``accept`` is false: then the test answers it)."""
        resp = await esme.deliver_sm(
            USSD_CODE,
            GSM7.encode(text)[0],
            source_addr=source,
            source_addr_ton=1,
            source_addr_npi=1,
            dest_addr_ton=0,
            dest_addr_npi=0,
            service_type="USSD",
            data_coding=0,
            tlvs=[
                smpp34.Tlv(TLV_USSD_SERVICE_OP, bytes([op])),
                smpp34.Tlv(TLV_ITS_SESSION_INFO, session.to_bytes(2, "big")),
            ],
        )
        assert (resp.is_success, resp.command_status) == (True, 0)
        submit = await self.next_event()
        assert isinstance(submit, smpp34.SubmitSmEvent), submit
        if accept:
            submit.accept(f"ussd-{len(self.events)}")
        return submit


@pytest.fixture(autouse=True)
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)  # let done-callbacks run
    assert leftover_tasks() == []


@pytest.fixture
async def smsc() -> AsyncIterator[IndependentSmsc]:
    for _attempt in range(5):  # the free port may be taken in between: try another
        port = free_port()
        server = smpp34.Server("127.0.0.1", port, system_id="smpp34-smsc")
        try:
            await server.start()
        except smpp34.SmppError:
            continue
        break
    else:
        pytest.fail("the smpp34 server could not listen on a free port")
    try:
        yield IndependentSmsc(server, port)
    finally:
        await server.stop()


def make_gateway(
    smsc: IndependentSmsc, handler: UssdHandler, *, enquire_link_interval: float = 30.0
) -> UssdGateway:
    return UssdGateway(
        host="127.0.0.1",
        port=smsc.port,
        system_id="fleetpbx",
        password="secret",
        system_type="USSD",
        handler=handler,
        timing=Timing(
            connect_timeout=2.0,
            response_timeout=2.0,
            enquire_link_interval=enquire_link_interval,
            handler_timeout=2.0,
        ),
        backoff=Backoff(initial=0.05, maximum=0.2),
    )


@pytest.fixture
def handler() -> ScriptedHandler:
    return ScriptedHandler()


@pytest.fixture
async def bound(
    smsc: IndependentSmsc, handler: ScriptedHandler
) -> AsyncIterator[tuple[UssdGateway, smpp34.Esme]]:
    """Our gateway bound as a transceiver to the smpp34 server; unbound at the end."""
    gateway = make_gateway(smsc, handler)
    await gateway.start()
    try:
        esme = await smsc.bound_esme()
        await asyncio.wait_for(gateway.wait_bound(), EVENT_TIMEOUT)
        assert (esme.system_id, esme.can_receive) == ("fleetpbx", True)  # a transceiver
        yield gateway, esme
    finally:
        async with asyncio.timeout(EVENT_TIMEOUT):
            await gateway.stop()
    unbound = await smsc.until_unbound()  # the server saw the session end
    assert unbound.session_id == esme.session_id
    assert not gateway.bound


@pytest.mark.parametrize(
    ("answer", "data_coding", "session"),
    [
        (GSM_ANSWER, 0, session_info(0xC3)),
        ("Tarif : 0,15 € / min {x}", 0, session_info(0x80)),  # extension characters: ESC + code
        (CYRILLIC_ANSWER, 8, session_info(0xFF, 0x7F)),
        ("Coût", 8, session_info(0xA5, 3)),  # û is not in GSM 03.38
    ],
)
async def test_a_pssr_request_is_answered_through_the_independent_smsc(
    smsc: IndependentSmsc,
    bound: tuple[UssdGateway, smpp34.Esme],
    handler: ScriptedHandler,
    answer: str,
    data_coding: int,
    session: int,
) -> None:
    gateway, esme = bound
    handler.answers["*#21#"] = UssdReply(answer)
    submit = await smsc.ussd(esme, "*#21#", session=session)

    # what the handler was asked, from smpp34's deliver_sm
    [request] = handler.requests
    assert request.msisdn == E164("+33611000001")
    assert (request.text, request.op, request.session) == (
        "*#21#",
        UssdOp.PSSR_INDICATION,
        session,
    )
    # our submit_sm as smpp34 decoded it
    assert submit.session_id == esme.session_id
    assert tlv_ints(submit.tlvs) == {
        TLV_USSD_SERVICE_OP: UssdOp.PSSR_RESPONSE,  # 17: final answer
        TLV_ITS_SESSION_INFO: session,  # as received, octet for octet
    }
    assert (submit.destination_addr, submit.dest_addr_ton, submit.dest_addr_npi) == (MSISDN, 1, 1)
    assert (submit.source_addr, submit.service_type) == (USSD_CODE, "USSD")
    assert (submit.esm_class, submit.registered_delivery) == (0, 0)
    assert submit.data_coding == data_coding
    assert text_of(submit.data_coding, submit.short_message) == answer
    await eventually(lambda: gateway.stats.ussd_answers == 1, what="submit_sm_resp")
    assert gateway.stats.refused_pdus == 0


async def test_a_menu_then_its_reply_through_the_independent_smsc(
    smsc: IndependentSmsc, bound: tuple[UssdGateway, smpp34.Esme], handler: ScriptedHandler
) -> None:
    gateway, esme = bound
    opened = session_info(0xE7)
    menu = await smsc.ussd(esme, "*#100#", session=opened)
    assert tlv_ints(menu.tlvs) == {
        TLV_USSD_SERVICE_OP: UssdOp.USSR_REQUEST,  # 2: a menu, the dialogue goes on
        TLV_ITS_SESSION_INFO: opened,
    }
    assert text_of(menu.data_coding, menu.short_message) == MENU

    reply = session_info(0xE7, 1)
    final = await smsc.ussd(esme, "1", op=UssdOp.USSR_CONFIRM, session=reply)
    assert tlv_ints(final.tlvs) == {
        TLV_USSD_SERVICE_OP: UssdOp.PSSR_RESPONSE,
        TLV_ITS_SESSION_INFO: reply,
    }
    assert (final.data_coding, text_of(final.data_coding, final.short_message)) == (
        8,
        CYRILLIC_ANSWER,
    )
    assert [(r.op, r.session) for r in handler.requests] == [
        (UssdOp.PSSR_INDICATION, opened),
        (UssdOp.USSR_CONFIRM, reply),
    ]
    await eventually(lambda: gateway.stats.ussd_answers == 2, what="2 submit_sm_resp")


async def test_a_long_answer_goes_in_message_payload(
    smsc: IndependentSmsc, bound: tuple[UssdGateway, smpp34.Esme], handler: ScriptedHandler
) -> None:
    gateway, esme = bound
    long_answer = "Ж" * 200  # 400 octets in UCS-2: more than short_message holds (254)
    handler.answers["*#21#"] = UssdReply(long_answer)
    submit = await smsc.ussd(esme, "*#21#", session=session_info(0x9D))
    assert (submit.short_message, submit.data_coding) == (b"", 8)
    [payload] = [tlv.value for tlv in submit.tlvs if tlv.tag == TLV_MESSAGE_PAYLOAD]
    assert text_of(submit.data_coding, payload) == long_answer
    assert tlv_ints(submit.tlvs)[TLV_USSD_SERVICE_OP] == UssdOp.PSSR_RESPONSE
    await eventually(lambda: gateway.stats.ussd_answers == 1, what="submit_sm_resp")


async def test_a_refused_answer_is_counted_and_the_bind_stays_up(
    smsc: IndependentSmsc, bound: tuple[UssdGateway, smpp34.Esme], handler: ScriptedHandler
) -> None:
    gateway, esme = bound
    refused = await smsc.ussd(esme, "*#21#", session=session_info(0x81), accept=False)
    refused.reject(ESME_RMSGQFUL)
    await eventually(lambda: gateway.stats.ussd_answers_lost == 1, what="the refusal")
    answered = await smsc.ussd(esme, "*#21#", session=session_info(0x82))
    assert text_of(answered.data_coding, answered.short_message) == GSM_ANSWER
    await eventually(lambda: gateway.stats.ussd_answers == 1, what="the next answer")
    assert gateway.bound and gateway.stats.binds == 1


async def test_enquire_link_is_answered_by_the_independent_smsc(
    smsc: IndependentSmsc, handler: ScriptedHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our keep-alive every 50 ms: each waits for its enquire_link_resp before the next one is
    due, and one unanswered within the response timeout would close the link."""
    sent: list[int] = []
    build = our_pdus.enquire_link

    def counting(sequence: int) -> bytes:
        sent.append(sequence)
        return build(sequence)

    monkeypatch.setattr(our_pdus, "enquire_link", counting)
    gateway = make_gateway(smsc, handler, enquire_link_interval=0.05)
    await gateway.start()
    try:
        esme = await smsc.bound_esme()
        await asyncio.wait_for(gateway.wait_bound(), EVENT_TIMEOUT)
        await eventually(lambda: len(sent) >= 6 or not gateway.bound, what="6 enquire_link")
        assert gateway.bound and gateway.stats.connection_losses == 0  # 5 answered at least
        submit = await smsc.ussd(esme, "*#21#", session=session_info(0x90))
        assert text_of(submit.data_coding, submit.short_message) == GSM_ANSWER
    finally:
        await gateway.stop()
    await smsc.until_unbound()


async def test_the_feature_code_handler_through_the_independent_smsc(
    smsc: IndependentSmsc, services: Services, clock: ManualClock, actor: Actor
) -> None:
    """The real handler, on the test database: a forwarding registered by USSD, then the menu."""
    world = await build_world(services, actor)
    directory = await CachedDirectory.open(services=services)
    handler = FeatureCodeHandler(services=services, view=directory, clock=clock)
    gateway = make_gateway(smsc, handler)
    await gateway.start()
    try:
        esme = await smsc.bound_esme()
        await asyncio.wait_for(gateway.wait_bound(), EVENT_TIMEOUT)

        register = await smsc.ussd(esme, "**21*0145678910#", session=session_info(0xB4))
        assert tlv_ints(register.tlvs)[TLV_USSD_SERVICE_OP] == UssdOp.PSSR_RESPONSE
        assert register.data_coding == 0
        assert text_of(0, register.short_message) == "Renvoi immédiat activé vers 01 45 67 89 10."
        [rule] = await services.forwarding.of_line(world.line(0).id)
        assert (rule.kind, rule.destination, rule.active) == (
            ForwardingKind.UNCONDITIONAL,
            E164("+33145678910"),
            True,
        )

        menu = await smsc.ussd(esme, "*700#", session=session_info(0xB5))
        assert tlv_ints(menu.tlvs) == {
            TLV_USSD_SERVICE_OP: UssdOp.USSR_REQUEST,
            TLV_ITS_SESSION_INFO: session_info(0xB5),
        }
        assert "3 Appels entrants" in text_of(menu.data_coding, menu.short_message)
        bye = await smsc.ussd(esme, "0", op=UssdOp.USSR_CONFIRM, session=session_info(0xB5, 1))
        assert tlv_ints(bye.tlvs) == {
            TLV_USSD_SERVICE_OP: UssdOp.PSSR_RESPONSE,
            TLV_ITS_SESSION_INFO: session_info(0xB5, 1),
        }
        assert text_of(bye.data_coding, bye.short_message) == "Au revoir."

        unknown = await smsc.ussd(esme, "*#21#", session=session_info(0xB6), source="33699999999")
        assert text_of(0, unknown.short_message) == "Service non disponible pour ce numéro."
        await eventually(lambda: gateway.stats.ussd_answers == 4, what="4 submit_sm_resp")
    finally:
        await gateway.stop()
        directory.close()
    await smsc.until_unbound()


# -- the codecs against each other, without a socket ---------------------------------------


def test_smpp34_uses_the_tags_of_the_specification() -> None:
    assert (TLV_USSD_SERVICE_OP, TLV_ITS_SESSION_INFO, TLV_MESSAGE_PAYLOAD) == (
        0x0501,
        0x1383,
        0x0424,
    )


@pytest.mark.parametrize(
    ("op", "session", "text"),
    [
        (UssdOp.PSSR_RESPONSE, 0xFFFF, GSM_ANSWER),
        (UssdOp.USSR_REQUEST, 0x8002, MENU),
        (UssdOp.PSSR_RESPONSE, 0x0100, CYRILLIC_ANSWER),
    ],
)
def test_smpp34_decodes_our_submit_sm(op: UssdOp, session: int, text: str) -> None:
    wire = our_pdus.submit_sm(
        77,
        text=text,
        source=our_pdus.sender(USSD_CODE),
        destination=our_pdus.international(MSISDN),
        service_type="USSD",
        params=ussd_params(int(op), session),
    )
    decoded = smpp34.decode(wire)
    assert isinstance(decoded, smpp34.SubmitSm)
    assert (decoded.command_id, decoded.sequence_number) == (0x00000004, 77)
    assert (decoded.destination_addr, decoded.dest_addr_ton) == (MSISDN, 1)
    assert tlv_ints(decoded.tlvs) == {
        TLV_USSD_SERVICE_OP: op,
        TLV_ITS_SESSION_INFO: session,
    }
    assert decoded.sm_length == len(decoded.short_message)
    assert text_of(decoded.data_coding, decoded.short_message) == text
    assert decoded.encode() == wire  # smpp34 re-encodes it octet for octet


@pytest.mark.parametrize(
    ("op", "session", "text", "data_coding", "raw"),
    [
        (UssdOp.PSSR_INDICATION, 0xFFFE, "*#21#", 0, GSM7.encode("*#21#")[0]),
        (UssdOp.USSR_CONFIRM, 0x8003, "é€", 0, GSM7.encode("é€")[0]),
        (UssdOp.USSR_CONFIRM, 0x9002, "Привет", 8, "Привет".encode("utf-16-be")),
    ],
)
def test_we_decode_smpp34_deliver_sm(
    op: UssdOp, session: int, text: str, data_coding: int, raw: bytes
) -> None:
    wire = smpp34.DeliverSm(
        MSISDN,
        USSD_CODE,
        raw,
        service_type="USSD",
        source_addr_ton=1,
        source_addr_npi=1,
        data_coding=data_coding,
        tlvs=[
            smpp34.Tlv(TLV_USSD_SERVICE_OP, bytes([op])),
            smpp34.Tlv(TLV_ITS_SESSION_INFO, session.to_bytes(2, "big")),
        ],
        sequence_number=0x7FFFFFFF,
    ).encode()
    message, tlvs = decode_deliver_sm(wire)
    assert (tlvs.service_op, tlvs.session_info) == (op, session)
    assert (message.short_message, message.source.number) == (text, MSISDN)
