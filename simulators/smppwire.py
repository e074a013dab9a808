"""SMPP 3.4 on the wire, as the SMSC simulator writes and reads it: PDUs packed and parsed
with ``struct``, independently of the adapter's codec (aiosmpplib); only the GSM 03.38 character
table is borrowed from aiosmpplib. Also one ESME's connection as the simulator holds it, and
the corrupt PDUs its misbehaviours send."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from aiosmpplib import GSM7BitCodec

RESP = GENERIC_NACK = 0x80000000  # the response bit; generic_nack is the bare response
BIND_TRANSCEIVER, SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x09, 0x04, 0x05, 0x06, 0x15
ESME_ROK, ESME_RINVCMDID, ESME_RINVBNDSTS, ESME_RALYBND = 0x00, 0x03, 0x04, 0x05
ESME_RINVPASWD, ESME_RINVSYSID = 0x0E, 0x0F
ESME_RINVDSTADR, ESME_RTHROTTLED = 0x0B, 0x58
USSD_SERVICE_OP, ITS_SESSION_INFO, MESSAGE_PAYLOAD = 0x0501, 0x1383, 0x0424
FLEETPBX_REFUSED = 0x1401  # FleetPBX's vendor-specific parameter: 1, it refused the request
TON_INTERNATIONAL, TON_NATIONAL = 1, 2
MAX_SHORT_MESSAGE = 254  # octets of short_message (SMPP 3.4 §5.2.22); longer goes as…
MAX_PAYLOAD = 0xFFFF  # …message_payload (0x0424, §5.3.2.32), up to 64 KiB
HEADER = struct.Struct("!IIII")
_GSM = GSM7BitCodec()


@dataclass(frozen=True, slots=True)
class Pdu:
    command_id: int
    status: int
    sequence: int
    body: bytes = b""

    def encode(self) -> bytes:
        header = HEADER.pack(16 + len(self.body), self.command_id, self.status, self.sequence)
        return header + self.body


@dataclass(frozen=True, slots=True)
class ShortMessage:
    """The fields of a submit_sm / deliver_sm that matter here."""

    service_type: str
    source: str
    source_ton: int
    destination: str
    destination_ton: int
    data_coding: int
    text: str
    tlvs: dict[int, bytes]

    def _int(self, tag: int) -> int | None:
        raw = self.tlvs.get(tag)
        return int.from_bytes(raw, "big") if raw is not None else None

    @property
    def ussd_op(self) -> int | None:
        return self._int(USSD_SERVICE_OP)

    @property
    def session_info(self) -> int | None:
        return self._int(ITS_SESSION_INFO)

    @property
    def refused(self) -> bool:
        return self._int(FLEETPBX_REFUSED) == 1


def encode_text(text: str, data_coding: int | None = None) -> tuple[int, bytes]:
    """GSM 03.38 (0, one septet an octet) when it fits, else UCS-2 (8); or as asked."""
    if data_coding is None:
        data_coding = 0 if GSM7BitCodec.is_gsm_text(text) else 8
    if data_coding == 0:
        encoded: bytes = _GSM.encode(text)[0]
        return 0, encoded
    return data_coding, text.encode({8: "utf-16-be", 1: "ascii"}.get(data_coding, "latin-1"))


def decode_text(data_coding: int, raw: bytes) -> str:
    if data_coding == 0:
        decoded: str = _GSM.decode(raw)[0]
        return decoded
    return raw.decode({3: "latin-1", 8: "utf-16-be"}.get(data_coding, "ascii"), "replace")


def address(msisdn: str) -> tuple[int, str]:
    """``+33612345678`` → international ``33612345678``; anything else national, as is."""
    return (TON_INTERNATIONAL, msisdn[1:]) if msisdn.startswith("+") else (TON_NATIONAL, msisdn)


def inbox_key(ton: int, number: str) -> str:
    return f"+{number}" if ton == TON_INTERNATIONAL else number


def c_string(text: str) -> bytes:
    return text.encode("ascii") + b"\x00"


def tlv(tag: int, value: bytes) -> bytes:
    return struct.pack("!HH", tag, len(value)) + value


def short_message_body(
    *,
    source: tuple[int, str],
    destination: tuple[int, str],
    data_coding: int,
    payload: bytes,
    tlvs: bytes = b"",
    service_type: str = "USSD",
) -> bytes:
    """A submit_sm / deliver_sm body. A payload longer than ``short_message`` may hold goes in
    ``message_payload`` (``sm_length`` 0), as SMPP 3.4 allows; past 64 KiB, ``ValueError``."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"{len(payload)} octets: more than message_payload carries")
    if len(payload) > MAX_SHORT_MESSAGE:
        payload, tlvs = b"", tlv(MESSAGE_PAYLOAD, payload) + tlvs
    return (
        c_string(service_type)
        + bytes([source[0], 1]) + c_string(source[1])
        + bytes([destination[0], 1]) + c_string(destination[1])
        + bytes([0, 0, 0]) + c_string("") + c_string("")
        + bytes([0, 0, data_coding, 0, len(payload)]) + payload
        + tlvs
    )  # fmt: skip


def parse_short_message(body: bytes) -> ShortMessage:
    at = 0

    def cstr() -> str:
        nonlocal at
        end = body.index(b"\x00", at)
        value, at = body[at:end].decode("ascii"), end + 1
        return value

    def octets(count: int) -> bytes:
        nonlocal at
        if at + count > len(body):
            raise ValueError("truncated")
        value, at = body[at : at + count], at + count
        return value

    service_type = cstr()
    source_ton, _npi = octets(2)
    source = cstr()
    destination_ton, _npi = octets(2)
    destination = cstr()
    octets(3)
    cstr(), cstr()
    _reg, _replace, data_coding, _default, length = octets(5)
    payload = octets(length)
    tlvs: dict[int, bytes] = {}
    while at < len(body):
        tag, size = struct.unpack("!HH", octets(4))
        tlvs[tag] = octets(size)
    if MESSAGE_PAYLOAD in tlvs:
        payload = tlvs[MESSAGE_PAYLOAD]
    text = decode_text(data_coding, payload)
    return ShortMessage(
        service_type, source, source_ton, destination, destination_ton, data_coding, text, tlvs
    )


class Connection:
    """One ESME's TCP connection: what is written to it, and the requests awaiting an answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.bound = False
        self.stalled = False  # a partial PDU was sent on it: nothing more goes there
        self.pending: dict[int, asyncio.Future[Pdu]] = {}

    async def write(self, pdu: Pdu) -> None:
        await self.write_raw(pdu.encode())

    async def write_raw(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise ConnectionResetError("session closed")
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.bound = False
        self.writer.close()
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionResetError("session closed"))


MALFORMED = {
    "truncated_deliver_sm": "a deliver_sm cut short after its destination address",
    "unknown_command": "a command id that SMPP 3.4 does not define",
    "bad_session_length": "its_session_info of one octet instead of two",
    "tlv_overrun": "an optional parameter whose length runs past the PDU",
}


def malformed_pdu(kind: str) -> tuple[int, bytes]:
    """The command id and body of a corrupt PDU of one of the :data:`MALFORMED` kinds."""
    if kind == "truncated_deliver_sm":
        return DELIVER_SM, b"USSD\x00\x01\x0133600000000\x00\x00\x01"
    if kind == "unknown_command":
        return 0x00000999, b"\x01\x02\x03"
    bad = {
        "bad_session_length": tlv(ITS_SESSION_INFO, b"\x01"),
        "tlv_overrun": b"\x05\x01\x00\x09\x01",
    }
    body = short_message_body(
        source=(TON_INTERNATIONAL, "33600000000"),
        destination=(0, "*100#"),
        data_coding=0,
        payload=b"1",
        tlvs=tlv(ITS_SESSION_INFO, b"\x90\x00") + bad[kind],
    )
    return DELIVER_SM, body


def partial_pdu(promised: int = 200, sent: int = 5) -> bytes:
    """The start of a PDU that never ends: a deliver_sm header promising ``promised`` octets,
    followed by ``sent`` octets of body (and nothing more)."""
    body = (b"USSD\x00" + bytes(sent))[:sent]
    return HEADER.pack(promised, DELIVER_SM, 0, 0x7FFFFFF0) + body
