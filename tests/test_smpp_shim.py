"""The USSD TLV shim around aiosmpplib, and the text encodings of the SMPP adapter.

Deliver_sm PDUs are built with the simulator's own ``struct`` codec, so both sides are checked
against bytes written independently of aiosmpplib."""

from __future__ import annotations

import struct

import pytest
from aiosmpplib import (
    DeliverSm,
    OptionalParam,
    PhoneNumber,
    SmppMessage,
    SubmitSm,
)

from featurecodes.smpp import pdus
from featurecodes.smpp.shim import (
    IntParam,
    MalformedPdu,
    UnprocessablePdu,
    UssdTlvs,
    decode_deliver_sm,
    param_int,
    split_ussd_tlvs,
    ussd_params,
)
from simulators.smppwire import (
    DELIVER_SM,
    ITS_SESSION_INFO,
    USSD_SERVICE_OP,
    Pdu,
    encode_text,
    parse_short_message,
    short_message_body,
    tlv,
)


def deliver_sm(
    text: str = "*#21#",
    *,
    tlvs: bytes = b"",
    data_coding: int | None = None,
    source: tuple[int, str] = (1, "33612345678"),
) -> bytes:
    coding, payload = encode_text(text, data_coding)
    body = short_message_body(
        source=source, destination=(0, "*100#"), data_coding=coding, payload=payload, tlvs=tlvs
    )
    return Pdu(DELIVER_SM, 0, 7, body).encode()


def ussd_tlvs(op: int, session: int | None) -> bytes:
    raw = tlv(USSD_SERVICE_OP, bytes([op]))
    return raw + (tlv(ITS_SESSION_INFO, session.to_bytes(2, "big")) if session is not None else b"")


# -- what aiosmpplib 0.7 does by itself (these fail once it is fixed: then drop the shim) ------


def library_params(pdu: bytes) -> dict[int, object]:
    message = DeliverSm.from_pdu(pdu, SmppMessage.parse_header(pdu), "gsm0338")
    return {p.tag: p.value for p in message.optional_params}


def test_aiosmpplib_decodes_the_ussd_tlvs_as_lossy_strings() -> None:
    assert library_params(deliver_sm(tlvs=ussd_tlvs(1, 0x0501))) == {
        0x0501: "\x01",
        0x1383: "\x05\x01",
    }
    # a NUL last octet is dropped: op 0 becomes '', session 0x0500 becomes one octet
    assert library_params(deliver_sm(tlvs=ussd_tlvs(0, 0x0500))) == {0x0501: "", 0x1383: "\x05"}


def test_aiosmpplib_refuses_a_session_number_from_128() -> None:
    with pytest.raises(UnicodeDecodeError):
        library_params(deliver_sm(tlvs=ussd_tlvs(18, 0x9001)))


def test_aiosmpplib_refuses_integer_values_for_the_ussd_tags() -> None:
    with pytest.raises(ValueError, match="must be of type `str`"):
        OptionalParam(0x0501, 17)
    message = SubmitSm(short_message="x", optional_params=[OptionalParam(0x1383, "\x90\x01")])
    with pytest.raises(UnicodeEncodeError):
        message.pdu()


# -- outgoing ---------------------------------------------------------------------------------


def test_ussd_params_pack_integers_on_the_tag_width() -> None:
    op, session = ussd_params(17, 0x9002)
    assert op.tlv == b"\x05\x01\x00\x01\x11"
    assert session.tlv == b"\x13\x83\x00\x02\x90\x02"
    assert (op.length, session.length) == (1, 2)
    assert (param_int(op), param_int(session)) == (17, 0x9002)
    assert len(ussd_params(2)) == 1


def test_a_submit_sm_carries_the_integer_tlvs_last() -> None:
    pdu = pdus.submit_sm(
        3,
        text="Fin",
        source=PhoneNumber("*100#"),
        destination=pdus.international("33612345678"),
        service_type="USSD",
        params=ussd_params(2, 0xFF7E),
    )
    message = parse_short_message(pdu[16:])
    assert (message.ussd_op, message.session_info) == (2, 0xFF7E)
    assert (message.service_type, message.destination, message.destination_ton) == (
        "USSD",
        "33612345678",
        1,
    )
    assert struct.unpack("!I", pdu[:4])[0] == len(pdu)


@pytest.mark.parametrize(
    ("tag", "value"),
    [(0x0501, 256), (0x0501, -1), (0x1383, 0x10000), (0x0501, "\x01"), (0x0501, True), (0x0424, 1)],
)
def test_int_params_refuse_what_does_not_fit(tag: int, value: object) -> None:
    with pytest.raises(ValueError):
        IntParam(tag, value)


# -- incoming ---------------------------------------------------------------------------------


@pytest.mark.parametrize("op", [0, 1, 18, 255])
@pytest.mark.parametrize("session", [None, 0, 0x0500, 0x0501, 0x9001, 0xFFFF])
def test_deliver_sm_gives_the_ussd_tlvs_as_received(op: int, session: int | None) -> None:
    message, tlvs = decode_deliver_sm(deliver_sm("*#21#", tlvs=ussd_tlvs(op, session)))
    assert tlvs == UssdTlvs(op, session)
    assert message.short_message == "*#21#"
    assert message.source.number == "33612345678"
    assert message.optional_params == []


def test_other_tlvs_are_left_to_aiosmpplib() -> None:
    source_port = struct.pack("!HHH", 0x020A, 2, 8080)
    stripped, tlvs = split_ussd_tlvs(deliver_sm(tlvs=source_port + ussd_tlvs(1, 0x9100)))
    assert tlvs == UssdTlvs(1, 0x9100)
    assert stripped.endswith(source_port)
    message, _ = decode_deliver_sm(stripped)
    assert [(p.tag, p.value) for p in message.optional_params] == [(0x020A, 8080)]


def test_a_deliver_sm_without_ussd_tlvs() -> None:
    message, tlvs = decode_deliver_sm(deliver_sm("hello"))
    assert tlvs == UssdTlvs(None, None)
    assert message.short_message == "hello"


@pytest.mark.parametrize(
    ("text", "data_coding"),
    [
        ("*21*0145678910#", 0),
        ("Activé ! ü@£$", 0),
        ("Prix: 5 €", 0),
        ("Coût", 3),
        ("Café", 8),
        ("Привет", 8),
    ],
)
def test_user_text_is_decoded_per_data_coding(text: str, data_coding: int) -> None:
    message, _ = decode_deliver_sm(deliver_sm(text, data_coding=data_coding, tlvs=ussd_tlvs(1, 1)))
    assert message.short_message == text


def test_gsm7_bytes_on_the_wire() -> None:
    # GSM 03.38: é is 0x05 in the basic table; € is the escape 0x1B then 0x65
    assert encode_text("é€") == (0, b"\x05\x1b\x65")
    assert pdus.gsm7_length("é€") == 3


@pytest.mark.parametrize(
    ("pdu", "status"),
    [
        (deliver_sm()[:30], 0x02),  # command_length no longer matches
        (Pdu(DELIVER_SM, 0, 1, b"USSD\x00\x01\x01336\x00\x00\x01").encode(), 0x02),
        (Pdu(DELIVER_SM, 0, 1, b"\x00" * 16 + b"\x09ab").encode(), 0x01),
        (deliver_sm(tlvs=b"\x05\x01\x00"), 0xC0),
        (deliver_sm(tlvs=b"\x05\x01\x00\x09\x01"), 0xC0),
        (deliver_sm(tlvs=tlv(ITS_SESSION_INFO, b"\x01")), 0xC2),
        (deliver_sm(tlvs=tlv(USSD_SERVICE_OP, b"\x00\x01")), 0xC2),
    ],
)
def test_broken_structure_is_malformed(pdu: bytes, status: int) -> None:
    with pytest.raises(MalformedPdu) as caught:
        decode_deliver_sm(pdu)
    assert caught.value.status == status


@pytest.mark.parametrize(
    "pdu",
    [
        deliver_sm("abc", data_coding=0x0F),  # a data_coding aiosmpplib does not know
        deliver_sm(source=(9, "33612345678")),  # an undefined TON
        Pdu(DELIVER_SM, 0, 1, deliver_sm()[16:].replace(b"*#21#", b"*#21\x1b")).encode(),
    ],
)
def test_unreadable_content_is_unprocessable(pdu: bytes) -> None:
    with pytest.raises(UnprocessablePdu) as caught:
        decode_deliver_sm(pdu)
    assert caught.value.status == 0x65


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Renvoi activé vers 01 45 67 89 10", "gsm0338"),
        ("Prix: 5 €", "gsm0338"),
        ("Coût", "ucs2"),  # ù is in GSM 03.38, û is not
        ("Ç", "gsm0338"),
        ("ç", "ucs2"),  # only the capital is in GSM 03.38
        ("Переадресация", "ucs2"),
        ("ok ✓", "ucs2"),
    ],
)
def test_answers_use_gsm7_when_every_character_fits(text: str, encoding: str) -> None:
    assert pdus.text_encoding(text) == encoding
    pdu = pdus.submit_sm(
        1, text=text, source=PhoneNumber("1"), destination=pdus.international("33612345678")
    )
    message = parse_short_message(pdu[16:])
    assert message.data_coding == (0 if encoding == "gsm0338" else 8)
    assert message.text == text


def test_aiosmpplib_refuses_a_deliver_sm_without_text() -> None:
    with pytest.raises(ValueError, match="short_message or message_payload"):
        library_params(deliver_sm("", tlvs=ussd_tlvs(1, 0x1200)))


def test_a_deliver_sm_without_text_is_read_as_the_empty_string() -> None:
    message, tlvs = decode_deliver_sm(deliver_sm("", tlvs=ussd_tlvs(1, 0x9000)))
    assert (message.short_message, message.message_payload) == ("", "")
    assert (tlvs.service_op, tlvs.session_info) == (1, 0x9000)
    assert message.source.number == "33612345678"


@pytest.mark.parametrize(("length", "in_payload"), [(254, False), (255, True), (4000, True)])
def test_text_longer_than_short_message_goes_as_message_payload(
    length: int, in_payload: bool
) -> None:
    text = "*" * length
    pdu = deliver_sm(text, tlvs=ussd_tlvs(1, 0x9000))
    parsed = parse_short_message(pdu[16:])
    assert parsed.text == text and (0x0424 in parsed.tlvs) is in_payload
    message, tlvs = decode_deliver_sm(pdu)  # the adapter reads it either way
    assert (message.short_message or message.message_payload) == text
    assert tlvs.service_op == 1


def test_text_beyond_message_payload_is_refused_by_the_simulator() -> None:
    with pytest.raises(ValueError, match="message_payload"):
        deliver_sm("1" * 70_000)
