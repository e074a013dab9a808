"""The USSD exchange as the service sees it, free of SMPP: a request from a handset and
the answer to show. The SMPP adapter (``featurecodes/smpp``) maps PDUs to these."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Protocol

from fleet.core.numbering import E164

MAX_GSM7 = 182  # characters of one USSD answer in the GSM 7-bit alphabet


class UssdOp(IntEnum):
    """Values of the SMPP 3.4 ``ussd_service_op`` TLV (0x0501)."""

    PSSD_INDICATION = 0
    PSSR_INDICATION = 1  # a request typed by the user (*...#): starts a dialogue
    USSR_REQUEST = 2  # a menu: the network asks, the user's reply is expected
    USSN_REQUEST = 3
    PSSD_RESPONSE = 16
    PSSR_RESPONSE = 17  # the final answer: the dialogue ends
    USSR_CONFIRM = 18  # the user's reply to a menu
    USSN_CONFIRM = 19


@dataclass(frozen=True, slots=True)
class UssdRequest:
    msisdn: E164  # the handset (source address of deliver_sm)
    text: str  # what the user typed, e.g. "**21*0145678910#" or "2" in a menu
    op: UssdOp
    session: int | None = None  # its_session_info (0x1383), kept as received


@dataclass(frozen=True, slots=True)
class UssdReply:
    text: str
    op: UssdOp = UssdOp.PSSR_RESPONSE  # final answer; USSR_REQUEST for a menu
    refused: bool = False  # the service refused what was dialled (the text says why)

    @property
    def final(self) -> bool:
        return self.op is not UssdOp.USSR_REQUEST


class UssdHandler(Protocol):
    async def handle(self, request: UssdRequest) -> UssdReply: ...


@dataclass(frozen=True, slots=True)
class Sms:
    msisdn: E164
    text: str


class SmsFailure(Enum):
    """Why an SMS was not accepted, as the outbox acts on it."""

    UNAVAILABLE = "unavailable"  # nothing reached the SMSC (no bind): not the message's fault
    TEMPORARY = "temporary"  # refused or unanswered this time: a later attempt may pass
    PERMANENT = "permanent"  # refused for good (a wrong destination…): never sent again


class SmsNotSent(Exception):
    """The SMSC did not accept an SMS, and why (``failure``)."""

    def __init__(self, reason: str, failure: SmsFailure) -> None:
        super().__init__(reason)
        self.failure = failure


class SmsSender(Protocol):
    """Sends one SMS; raises :class:`SmsNotSent` when it was not accepted (any other
    exception counts as a temporary failure). The caller keeps it for later or gives up."""

    async def send(self, sms: Sms) -> None: ...
