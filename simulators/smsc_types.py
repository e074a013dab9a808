"""The SMSC simulator's vocabulary: its named misbehaviours, what a handset shows, and the
errors a simulated handset meets (``simulators.smsc`` re-exports them)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum


class Misbehaviour(Enum):
    BLACK_HOLE = "black_hole"  # accepts submit_sm, never sends submit_sm_resp
    UNBIND_ON_SUBMIT = "unbind_on_submit"  # answers a submit_sm with an unbind
    SLOW_RESPONSE = "slow_response"  # submit_sm_resp after ``slow_delay`` seconds
    DROP_CONNECTION = "drop_connection"  # closes connections, and each new one at its bind
    MALFORMED_PDU = "malformed_pdu"  # sends corrupt PDUs before each deliver_sm
    # before each deliver_sm: a header promising 200 octets, then 5 of them and nothing more
    # on that connection; the deliver_sm goes once the ESME has bound again
    PARTIAL_PDU = "partial_pdu"


class UssdRejected(Exception):
    """The ESME refused a deliver_sm (``generic_nack`` or an error status)."""

    def __init__(self, command_id: int, status: int) -> None:
        super().__init__(f"0x{command_id:08X} status 0x{status:02X}")
        self.command_id, self.status = command_id, status


class NoMenu(RuntimeError):
    """A reply was sent from a handset that shows no menu."""


@dataclass(frozen=True, slots=True)
class Screen:
    """What a handset shows: the text, and whether it is a menu (op 2) or final (op 17)."""

    text: str
    op: int
    session_info: int | None
    data_coding: int
    refused: bool = False  # FleetPBX's REFUSED parameter was set: the service refused it


@dataclass(slots=True)
class Dialogue:
    session_info: int
    answer: asyncio.Future[Screen]
