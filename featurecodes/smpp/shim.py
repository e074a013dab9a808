"""The USSD optional parameters as integers, around aiosmpplib 0.7.

aiosmpplib types an optional parameter by its tag (``aiosmpplib.state.tag_data_type``); tags it
does not list are taken as ASCII octet strings. ``ussd_service_op`` (0x0501, 1 octet) and
``its_session_info`` (0x1383, 2 octets) are not listed, so in 0.7.4:

- decoding (``DeliverSm.from_pdu``) turns their octets into an ASCII ``str`` and drops one
  trailing NUL: op 1 gives ``'\\x01'``, op 0 gives ``''``; session 0x0500 gives ``'\\x05'`` (the
  low octet is lost); any octet >= 0x80 (a session number >= 128) raises ``UnicodeDecodeError``
  and the whole PDU is refused;
- encoding (``OptionalParam``) refuses an ``int`` value (``ValueError``), and a ``str`` value
  with a character >= 0x80 fails in ``SubmitSm.pdu()`` (``UnicodeEncodeError``).

So: outgoing, :func:`ussd_params` gives ``OptionalParam`` objects that carry an ``int`` and pack
it big-endian on the tag's width; incoming, :func:`decode_deliver_sm` takes both TLVs out of the
raw PDU as integers *before* aiosmpplib parses the rest. The walk over the mandatory fields also
checks the PDU's structure, because aiosmpplib raises ``struct.error`` (not ``ValueError``) on a
truncated body.

aiosmpplib 0.7 also refuses a message with no text at all (``short_message`` empty and no
``message_payload``: "Either short_message or message_payload must be specified"), which is
what a handset sends for an empty USSD string; :func:`decode_deliver_sm` parses with
:class:`LenientDeliverSm`, which takes it with the text ``""``, so it is answered like any other.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from aiosmpplib import (
    DeliverSm,
    OptionalParam,
    PduHeader,
    SmppCommand,
    SmppCommandStatus,
)

USSD_SERVICE_OP = 0x0501
ITS_SESSION_INFO = 0x1383
# FleetPBX's own optional parameter (SMPP 3.4 §5.3.2: 0x1400-0x3FFF are vendor-specific; an
# SMSC that does not know it ignores it): 1 on a USSD answer when the service refused what was
# dialled, so that a client (the demo's `fleetpbx handset`) can tell a refusal from a success
REFUSED = 0x1401
INT_TLV_WIDTH: dict[int, int] = {USSD_SERVICE_OP: 1, ITS_SESSION_INFO: 2, REFUSED: 1}

_S = SmppCommandStatus
_HEADER = struct.Struct("!IIII")
_TLV_HEADER = struct.Struct("!HH")


class MalformedPdu(ValueError):
    """The PDU's structure is broken: answer with ``generic_nack`` carrying ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UnprocessablePdu(ValueError):
    """Well formed, but its content cannot be used: answer ``*_resp`` carrying ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class LenientDeliverSm(DeliverSm):  # type: ignore[misc]
    """aiosmpplib's ``DeliverSm``, which also takes a message without text (an empty USSD
    string) instead of raising."""

    message_payload: str

    def __post_init__(self) -> None:
        textless = not self.short_message and not self.message_payload
        if textless:
            self.message_payload = " "  # passes the "some text" check, then taken out
        super().__post_init__()
        if textless:
            self.message_payload = ""


@dataclass(frozen=True, slots=True)
class UssdTlvs:
    service_op: int | None = None
    session_info: int | None = None


class IntParam(OptionalParam):  # type: ignore[misc]
    """An ``OptionalParam`` whose value is an unsigned integer of the tag's width."""

    def __post_init__(self) -> None:
        width = INT_TLV_WIDTH.get(self.tag)
        if width is None:
            raise ValueError(f"tag 0x{self.tag:04X} is not an integer TLV of this shim")
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"tag 0x{self.tag:04X} needs an int, got {type(value).__name__}")
        if not 0 <= value < 1 << (8 * width):
            raise ValueError(f"tag 0x{self.tag:04X}: {value} does not fit {width} octet(s)")

    @property
    def length(self) -> int:
        return INT_TLV_WIDTH[self.tag]

    @property
    def tlv(self) -> bytes:
        width = INT_TLV_WIDTH[self.tag]
        value: int = self.value
        return _TLV_HEADER.pack(self.tag, width) + value.to_bytes(width, "big")


def ussd_params(
    service_op: int, session_info: int | None = None, *, refused: bool = False
) -> list[OptionalParam]:
    """The optional parameters of a USSD ``submit_sm``: op, then the session when known,
    then :data:`REFUSED` when the service refused the request."""
    params: list[OptionalParam] = [IntParam(USSD_SERVICE_OP, service_op)]
    if session_info is not None:
        params.append(IntParam(ITS_SESSION_INFO, session_info))
    if refused:
        params.append(IntParam(REFUSED, 1))
    return params


def param_int(param: OptionalParam) -> int | None:
    """The integer carried by an ``IntParam`` (``None`` for anything else)."""
    value = param.value
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _c_string_end(pdu: bytes, start: int, max_octets: int, name: str) -> int:
    end = pdu.find(b"\x00", start, start + max_octets)
    if end < 0:
        raise MalformedPdu(
            f"{name} is not a C-octet string of at most {max_octets} octets", _S.ESME_RINVCMDLEN
        )
    return end + 1


def tlv_offset(pdu: bytes) -> int:
    """Where the optional parameters of a ``submit_sm``/``deliver_sm`` PDU start.

    Raises :class:`MalformedPdu` when the mandatory fields do not fit in the PDU.
    """
    if len(pdu) < _HEADER.size or _HEADER.unpack_from(pdu)[0] != len(pdu):
        raise MalformedPdu("command_length does not match the PDU", _S.ESME_RINVCMDLEN)
    at = _c_string_end(pdu, _HEADER.size, 6, "service_type")
    at = _c_string_end(pdu, at + 2, 21, "source_addr")
    at = _c_string_end(pdu, at + 2, 21, "destination_addr")
    at = _c_string_end(pdu, at + 3, 17, "schedule_delivery_time")
    at = _c_string_end(pdu, at, 17, "validity_period")
    at += 4  # registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
    if at + 1 > len(pdu):
        raise MalformedPdu("the PDU ends before sm_length", _S.ESME_RINVCMDLEN)
    end = at + 1 + pdu[at]
    if end > len(pdu):
        raise MalformedPdu("short_message runs past the end of the PDU", _S.ESME_RINVMSGLEN)
    return end


def split_ussd_tlvs(pdu: bytes) -> tuple[bytes, UssdTlvs]:
    """Take ``ussd_service_op`` and ``its_session_info`` out of a PDU, as integers.

    Returns the PDU without them (``command_length`` fixed) and their values.
    """
    start = at = tlv_offset(pdu)
    kept: list[bytes] = []
    values: dict[int, int] = {}
    while at < len(pdu):
        if at + _TLV_HEADER.size > len(pdu):
            raise MalformedPdu("truncated optional parameter header", _S.ESME_RINVOPTPARSTREAM)
        tag, length = _TLV_HEADER.unpack_from(pdu, at)
        end = at + _TLV_HEADER.size + length
        if end > len(pdu):
            raise MalformedPdu(
                f"optional parameter 0x{tag:04X} runs past the PDU", _S.ESME_RINVOPTPARSTREAM
            )
        width = INT_TLV_WIDTH.get(tag)
        if width is None:
            kept.append(pdu[at:end])
        elif length != width:
            raise MalformedPdu(
                f"optional parameter 0x{tag:04X} needs {width} octet(s)", _S.ESME_RINVPARLEN
            )
        else:
            values[tag] = int.from_bytes(pdu[at + _TLV_HEADER.size : end], "big")
        at = end
    rest = pdu[_HEADER.size : start] + b"".join(kept)
    stripped = struct.pack("!I", _HEADER.size + len(rest)) + pdu[4 : _HEADER.size] + rest
    return stripped, UssdTlvs(values.get(USSD_SERVICE_OP), values.get(ITS_SESSION_INFO))


def decode_deliver_sm(
    pdu: bytes, *, default_encoding: str = "gsm0338"
) -> tuple[DeliverSm, UssdTlvs]:
    """Parse a ``deliver_sm`` with aiosmpplib, its USSD parameters as integers.

    ``default_encoding`` is the alphabet of ``data_coding`` 0 (GSM 03.38, one septet an octet).
    Raises :class:`MalformedPdu` (broken structure) or :class:`UnprocessablePdu` (a field
    aiosmpplib cannot read: unknown ``data_coding``, TON/NPI, text not in its alphabet…).
    """
    stripped, tlvs = split_ussd_tlvs(pdu)
    length, _command, _status, sequence = _HEADER.unpack_from(stripped)
    header = PduHeader(length, SmppCommand.DELIVER_SM, SmppCommandStatus.ESME_ROK, sequence)
    try:
        message = LenientDeliverSm.from_pdu(stripped, header, default_encoding, None)
    except (ValueError, LookupError, struct.error, IndexError) as error:
        raise UnprocessablePdu(
            f"aiosmpplib cannot read the deliver_sm: {error}", _S.ESME_RX_P_APPN
        ) from error
    return message, tlvs
