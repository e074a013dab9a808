"""A real USSD session on loopback between our ESME (``UssdGateway``) and our SMSC simulator,
captured with tshark and read back through Wireshark's SMPP dissector.

The dissector was written by others from the SMPP 3.4 specification: it must find every PDU
well formed (no malformed packet, no expert info of severity error) and read the USSD optional
parameters we send and receive. Needs tshark and the right to capture (root or CAP_NET_RAW).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import smpp34

# smpp34 re-exports its TLV_* constants at run time; its stubs declare them here
from smpp34._smpp34 import TLV_ITS_SESSION_INFO, TLV_USSD_SERVICE_OP

from featurecodes.smpp import Backoff, Timing, UssdGateway
from featurecodes.ussd import UssdHandler
from simulators.smppwire import ESME_RINVCMDID, GENERIC_NACK
from simulators.smsc import SmscSimulator
from tests.polling import eventually
from tests.smpp_support import (
    CYRILLIC_ANSWER,
    GSM_ANSWER,
    MENU,
    ScriptedHandler,
    free_port,
    leftover_tasks,
)
from tests.smpp_tshark import (
    LoopbackCapture,
    SmppPdu,
    dissection_problems,
    not_smpp,
    read_smpp,
    tshark_binary,
)

pytestmark = pytest.mark.slow

MSISDN = "+33611000001"
UNBIND_RESP = "smpp.command_id == 0x80000006"
KEEPALIVE = ("enquire_link", "enquire_link_resp")


@pytest.fixture(autouse=True)
async def no_task_left() -> AsyncIterator[None]:
    yield
    assert leftover_tasks() == []


@pytest.fixture
def tshark() -> str:
    return tshark_binary()


def make_gateway(port: int, handler: UssdHandler, *, enquire_link_interval: float) -> UssdGateway:
    return UssdGateway(
        host="127.0.0.1",
        port=port,
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


def listing(pdus: list[SmppPdu]) -> str:
    return "\n".join(str(pdu) for pdu in pdus)


async def test_a_ussd_session_is_well_formed_smpp_for_wireshark(
    tshark: str, tmp_path: Path
) -> None:
    pcap = tmp_path / "smpp.pcapng"
    handler = ScriptedHandler()
    async with SmscSimulator(answer_timeout=3.0) as smsc:
        port = smsc.port
        async with LoopbackCapture(tshark, port=port, path=pcap) as capture:
            gateway = make_gateway(port, handler, enquire_link_interval=0.2)
            await gateway.start()
            try:
                await eventually(lambda: gateway.bound and smsc.bound, what="the bind")
                assert await smsc.ussd(MSISDN, "*#21#") == GSM_ANSWER
                assert await smsc.ussd(MSISDN, "*#100#") == MENU
                assert await smsc.reply(MSISDN, "1") == CYRILLIC_ANSWER
                await eventually(lambda: gateway.stats.ussd_answers == 3, what="3 answers")
                answer = await smsc.enquire_link()  # from the SMSC; the ESME sends its own
                assert answer.status == 0
                await eventually(
                    lambda: smsc.enquire_links_received >= 1, what="the ESME's enquire_link"
                )
            finally:
                await gateway.stop()
            await capture.wait_for(UNBIND_RESP)  # the end of the session is in the file
        assert smsc.protocol_errors == []

    pdus = await read_smpp(tshark, pcap, port)
    shown = listing(pdus)
    assert await dissection_problems(tshark, pcap, port) == [], shown
    assert await not_smpp(tshark, pcap, port) == [], shown  # every payload octet is SMPP
    esme = {pdu.src_port for pdu in pdus} - {port}
    assert len(esme) == 1, shown  # one TCP connection: no reconnection

    # every PDU but the keep-alives, in order, each from the side that should send it
    session = [(pdu.command, pdu.src_port == port) for pdu in pdus if pdu.command not in KEEPALIVE]
    ussd = [("deliver_sm", True), ("deliver_sm_resp", False)]
    ussd += [("submit_sm", False), ("submit_sm_resp", True)]
    assert session == [
        ("bind_transceiver", False),
        ("bind_transceiver_resp", True),
        *ussd * 3,
        ("unbind", False),
        ("unbind_resp", True),
    ], shown
    responses = [pdu for pdu in pdus if pdu.command_id & 0x80000000]
    assert {pdu.number("smpp.command_status") for pdu in responses} == {0}, shown

    [bind] = [pdu for pdu in pdus if pdu.command == "bind_transceiver"]
    assert bind.value("smpp.system_id") == "fleetpbx"
    assert bind.value("smpp.password") == "secret"
    assert bind.value("smpp.system_type") == "USSD"
    assert bind.number("smpp.interface_version") == 0x34

    delivers = [pdu for pdu in pdus if pdu.command == "deliver_sm"]
    submits = [pdu for pdu in pdus if pdu.command == "submit_sm"]
    # the handset's side: PSSR indication (1) twice, then the reply to the menu (18)
    assert [pdu.number("smpp.ussd_service_op") for pdu in delivers] == [1, 1, 18], shown
    assert [pdu.value("smpp.message_text") for pdu in delivers] == ["*#21#", "*#100#", "1"]
    assert {pdu.value("smpp.source_addr") for pdu in delivers} == {"33611000001"}
    # ours: PSSR response (17), a menu (USSR request, 2), then the final answer (17)
    assert [pdu.number("smpp.ussd_service_op") for pdu in submits] == [17, 2, 17], shown
    assert [pdu.value("smpp.message_text") for pdu in submits] == [
        GSM_ANSWER,
        MENU,
        CYRILLIC_ANSWER,
    ], shown
    assert [pdu.number("smpp.data_coding") for pdu in submits] == [0, 0, 8], shown
    for pdu in submits:
        assert pdu.value("smpp.service_type") == "USSD"
        assert pdu.value("smpp.destination_addr") == "33611000001"
        assert pdu.number("smpp.dest_addr_ton") == 1  # international
        assert pdu.value("smpp.source_addr") == "*100#"
    # its_session_info: the answer carries the session number (>= 0x80) and sequence received
    session_info = ("smpp.its_session.number", "smpp.its_session.sequence")
    asked = [tuple(pdu.number(name) for name in session_info) for pdu in delivers]
    answered = [tuple(pdu.number(name) for name in session_info) for pdu in submits]
    assert answered == asked, shown
    numbers = [number for number, _ in asked]
    assert all(number is not None and number >= 0x80 for number in numbers), shown
    assert numbers[1] == numbers[2] and asked[2][1] == 1  # the menu reply: same session, next

    # enquire_link both ways, each answered by the other side with the same sequence number
    def keepalive(sent_by_smsc: bool) -> set[int | None]:
        return {
            pdu.number("smpp.sequence_number")
            for pdu in pdus
            if pdu.command == "enquire_link" and (pdu.src_port == port) == sent_by_smsc
        }

    def answered_to(sent_by_smsc: bool) -> set[int | None]:
        return {
            pdu.number("smpp.sequence_number")
            for pdu in pdus
            if pdu.command == "enquire_link_resp" and (pdu.src_port == port) != sent_by_smsc
        }

    assert len(keepalive(sent_by_smsc=True)) == 1, shown
    assert keepalive(sent_by_smsc=True) <= answered_to(sent_by_smsc=True), shown
    assert keepalive(sent_by_smsc=False) & answered_to(sent_by_smsc=False), shown


async def test_the_dissector_checks_do_see_corrupt_pdus(tshark: str, tmp_path: Path) -> None:
    """The checks above are not vacuous: the simulator's corrupt PDUs are caught, and only
    they. (Wireshark's SMPP dissector is lenient with optional parameters: a TLV whose length
    runs past the PDU, or an its_session_info of one octet, is not flagged.)"""
    pcap = tmp_path / "corrupt.pcapng"
    async with SmscSimulator(answer_timeout=3.0) as smsc:
        port = smsc.port
        async with LoopbackCapture(tshark, port=port, path=pcap) as capture:
            gateway = make_gateway(port, ScriptedHandler(), enquire_link_interval=30.0)
            await gateway.start()
            try:
                await eventually(lambda: gateway.bound and smsc.bound, what="the bind")
                unknown = await smsc.send_malformed("unknown_command")
                truncated = await smsc.send_malformed("truncated_deliver_sm")
                assert (unknown.command_id, unknown.status) == (GENERIC_NACK, ESME_RINVCMDID)
                assert truncated.command_id == GENERIC_NACK
                assert await smsc.ussd(MSISDN, "*#21#") == GSM_ANSWER  # the link carries on
            finally:
                await gateway.stop()
            await capture.wait_for(UNBIND_RESP)

    pdus = await read_smpp(tshark, pcap, port)
    shown = listing(pdus)
    problems = await dissection_problems(tshark, pcap, port)
    [cut_short] = [pdu.frame for pdu in pdus if pdu.value("smpp.source_addr") == "33600000000"]
    assert {problem.split(":")[0] for problem in problems} == {f"frame {cut_short}"}, shown
    [unknown_command] = await not_smpp(tshark, pcap, port)
    assert unknown_command < cut_short
    assert [pdu.command for pdu in pdus if pdu.frame < cut_short][-1] == "generic_nack"


async def test_a_session_with_the_independent_smsc_is_well_formed_too(
    tshark: str, tmp_path: Path
) -> None:
    """The same check with smpp34's server as the SMSC (see test_smpp_interop.py): both sides'
    PDUs, written by two implementations, decode cleanly."""
    pcap = tmp_path / "smpp34.pcapng"
    port = free_port()
    server = smpp34.Server("127.0.0.1", port, system_id="smpp34-smsc")
    await server.start()
    try:
        async with LoopbackCapture(tshark, port=port, path=pcap) as capture:
            gateway = make_gateway(port, ScriptedHandler(), enquire_link_interval=0.2)
            await gateway.start()
            try:
                esme = await asyncio.wait_for(server.next(), 5.0)
                assert isinstance(esme, smpp34.Esme)
                await asyncio.wait_for(gateway.wait_bound(), 5.0)
                tlvs = [
                    smpp34.Tlv(TLV_USSD_SERVICE_OP, b"\x01"),
                    smpp34.Tlv(TLV_ITS_SESSION_INFO, b"\xc4\x00"),
                ]
                resp = await esme.deliver_sm(
                    "*100#", b"1", source_addr="33611000001", source_addr_ton=1, tlvs=tlvs
                )
                assert resp.is_success
                submit = await asyncio.wait_for(server.next(), 5.0)
                assert isinstance(submit, smpp34.SubmitSmEvent)
                submit.accept("m1")
                await eventually(lambda: gateway.stats.ussd_answers == 1, what="the answer")
                await capture.wait_for("smpp.command_id == 0x80000015")  # a keep-alive answered
                assert gateway.bound
            finally:
                await gateway.stop()
            assert isinstance(await asyncio.wait_for(server.next(), 5.0), smpp34.Unbound)
            # smpp34 1.5.0 closes on unbind without unbind_resp: wait for our side's FIN
            await capture.wait_for(f"tcp.flags.fin == 1 && tcp.dstport == {port}")
    finally:
        await server.stop()

    pdus = await read_smpp(tshark, pcap, port)
    shown = listing(pdus)
    assert await dissection_problems(tshark, pcap, port) == [], shown
    assert await not_smpp(tshark, pcap, port) == [], shown
    commands = [pdu.command for pdu in pdus if pdu.command not in KEEPALIVE]
    assert commands[:7] == [
        "bind_transceiver",
        "bind_transceiver_resp",
        "deliver_sm",
        "deliver_sm_resp",
        "submit_sm",
        "submit_sm_resp",
        "unbind",
    ], shown
    [deliver] = [pdu for pdu in pdus if pdu.command == "deliver_sm"]
    [answer] = [pdu for pdu in pdus if pdu.command == "submit_sm"]
    assert (deliver.number("smpp.ussd_service_op"), answer.number("smpp.ussd_service_op")) == (
        1,
        17,
    )
    assert deliver.number("smpp.its_session.number") == answer.number("smpp.its_session.number")
    assert answer.number("smpp.its_session.number") == 0xC4
    assert (answer.number("smpp.data_coding"), answer.value("smpp.message_text")) == (
        8,
        CYRILLIC_ANSWER,
    )
    keepalives = [(pdu.command, pdu.src_port == port) for pdu in pdus if pdu.command in KEEPALIVE]
    assert ("enquire_link", False) in keepalives and ("enquire_link_resp", True) in keepalives
