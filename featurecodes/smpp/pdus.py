"""The PDUs the ESME sends, built with aiosmpplib's message classes, and a tolerant header.

aiosmpplib's own header parser (``SmppMessage.parse_header``) raises on a command id or a
command status it does not know, so headers are read here with ``struct`` and only then
mapped; bodies we send are always built by aiosmpplib.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from aiosmpplib import (
    NPI,
    TON,
    BindTransceiver,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    GSM7BitCodec,
    OptionalParam,
    PhoneNumber,
    SmppCommand,
    SmppCommandStatus,
    SubmitSm,
    Unbind,
    UnbindResp,
)

HEADER = struct.Struct("!IIII")
HEADER_SIZE = HEADER.size
# message_payload carries up to 64 KiB; a longer command_length cannot be an SMPP 3.4 PDU.
MAX_PDU_SIZE = HEADER_SIZE + 0xFFFF + 1024
RESPONSE_BIT = 0x80000000

Cmd = SmppCommand
Status = SmppCommandStatus


@dataclass(frozen=True, slots=True)
class Header:
    length: int
    command_id: int
    status: int
    sequence: int

    @classmethod
    def parse(cls, data: bytes) -> Header:
        length, command_id, status, sequence = HEADER.unpack_from(data)
        return cls(length, command_id, status, sequence)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    @property
    def command_name(self) -> str:
        try:
            name: str = Cmd(self.command_id).name.lower()
        except ValueError:
            return f"0x{self.command_id:08X}"
        return name


def status_name(status: int) -> str:
    try:
        name: str = Status(status).name
    except ValueError:
        return f"0x{status:08X}"
    return name


def _pdu(message: object, sequence: int) -> bytes:
    message.sequence_num = sequence  # type: ignore[attr-defined]
    data: bytes = message.pdu()  # type: ignore[attr-defined]
    return data


def bind_transceiver(sequence: int, *, system_id: str, password: str, system_type: str) -> bytes:
    message = BindTransceiver(system_id=system_id, password=password, system_type=system_type)
    return _pdu(message, sequence)


def enquire_link(sequence: int) -> bytes:
    return _pdu(EnquireLink(), sequence)


def unbind(sequence: int) -> bytes:
    return _pdu(Unbind(), sequence)


def enquire_link_resp(sequence: int) -> bytes:
    return _pdu(EnquireLinkResp(), sequence)


def unbind_resp(sequence: int) -> bytes:
    return _pdu(UnbindResp(), sequence)


def deliver_sm_resp(sequence: int, status: int = 0) -> bytes:
    return _pdu(DeliverSmResp(command_status=Status(status)), sequence)


def generic_nack(sequence: int, status: int) -> bytes:
    return _pdu(GenericNack(command_status=Status(status)), sequence)


def text_encoding(text: str) -> str:
    """GSM 03.38 (``data_coding`` 0) when every character is in it, else UCS-2 (8)."""
    return "gsm0338" if GSM7BitCodec.is_gsm_text(text) else "ucs2"


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` takes in GSM 03.38 (extension characters count 2), or ``None``."""
    if not GSM7BitCodec.is_gsm_text(text):
        return None
    codes: list[int] = GSM7BitCodec().to_gsm_codes(text)
    return len(codes)


def international(digits: str) -> PhoneNumber:
    return PhoneNumber(digits, TON.INTERNATIONAL, NPI.ISDN)


def sender(address: str) -> PhoneNumber:
    """A source address: digits as they are, anything else alphanumeric."""
    if address.isdigit() or not address:
        return PhoneNumber(address, TON.UNKNOWN, NPI.ISDN if address else NPI.UNKNOWN)
    return PhoneNumber(address, TON.ALPHANUMERIC, NPI.UNKNOWN)


def submit_sm(
    sequence: int,
    *,
    text: str,
    source: PhoneNumber,
    destination: PhoneNumber,
    service_type: str = "",
    params: list[OptionalParam] | None = None,
) -> bytes:
    """A ``submit_sm``; text in GSM-7 when it fits the alphabet, else UCS-2.

    Text longer than ``short_message`` (254 octets) goes in ``message_payload`` (aiosmpplib).
    """
    message = SubmitSm(
        short_message=text,
        source=source,
        destination=destination,
        service_type=service_type,
        registered_delivery=0,
        encoding=text_encoding(text),
        optional_params=params or [],
    )
    return _pdu(message, sequence)


def c_string(body: bytes) -> str:
    """The first C-octet string of a body (``message_id``, ``system_id``), leniently."""
    return body.split(b"\x00", 1)[0].decode("ascii", "replace")
