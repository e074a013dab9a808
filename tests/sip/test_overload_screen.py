"""The stateless 503 is given before validation: while the guard sheds, the stack's transport
hands each parsed request to the shedder first (``SipTransport.screen``), so a new INVITE is
refused without ``check_request``; a retransmission of an admitted INVITE still reaches its
transaction, and an INVITE lacking a line the 503 would copy is still validated (400)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from fleet.sip import transport_inbound as transport_module
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.overload import Limits
from fleet.sip.overload_stateless import SHED_TAG
from fleet.sip.stack import SipStack
from fleet.sip.transport_types import TransportConfig
from fleet.sip.validate import Outcome, UasPolicy, check_request
from tests.sip.transport_support import LOOPBACK, UdpPeer, udp_peer


def _invite(port: int, call: str, *, max_forwards: str = "70", cseq: bool = True) -> bytes:
    lines = [
        ("Via", f"SIP/2.0/UDP {LOOPBACK}:{port};branch=z9hG4bK-{call}"),
        ("Max-Forwards", max_forwards),
        ("From", f"<sip:probe@example.net>;tag={call}"),
        ("To", "<sip:fleetpbx@example.net>"),
        ("Call-ID", call),
    ]
    if cseq:
        lines.append(("CSeq", "1 INVITE"))
    return serialize(Request("INVITE", "sip:fleetpbx@example.net", Headers(lines)))


class Validations:
    """Counts the calls of ``check_request`` made by the transport."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def __call__(self, request: Request, policy: UasPolicy) -> Outcome:
        self.calls.append(request.call_id)
        return check_request(request, policy)


@asynccontextmanager
async def shedding_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[SipStack, UdpPeer, Validations]]:
    """A stack that admits one live transaction (the responder answers it 480), sheds from the
    second INVITE on; the first INVITE admitted, the second refused by the guard."""
    validations = Validations()
    monkeypatch.setattr(transport_module, "check_request", validations)
    config = TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy())
    stack = SipStack(config, limits=Limits(max_live_transactions=1, max_lag=60, retry_after=3))
    await stack.start()
    try:
        async with udp_peer() as phone:
            port = stack.listening[0]
            assert await _ask(phone, port, _invite(phone.port, "admitted")) == 480
            assert await _ask(phone, port, _invite(phone.port, "tripping")) == 503
            assert stack.guard is not None and stack.guard.shedding
            yield stack, phone, validations
    finally:
        await stack.stop()


async def _answer(phone: UdpPeer) -> Response:
    answer = parse_message(await phone.receive())
    assert isinstance(answer, Response)
    return answer


async def _ask(phone: UdpPeer, port: int, data: bytes) -> int:
    phone.send(data, port)
    return (await _answer(phone)).status


async def test_a_new_invite_while_shedding_is_refused_without_being_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with shedding_stack(monkeypatch) as (stack, phone, validations):
        validated = list(validations.calls)
        phone.send(_invite(phone.port, "shed"), stack.listening[0])
        refusal = await _answer(phone)
        assert refusal.status == 503 and refusal.call_id == "shed"
        assert refusal.to is not None and refusal.to.tag == SHED_TAG
        assert refusal.headers.get("Retry-After") == "3"
        assert validations.calls == validated  # no check_request for the refused INVITE
        assert stack.guard is not None and stack.guard.stateless == 1


async def test_a_malformed_invite_while_shedding_gets_the_503_instead_of_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with shedding_stack(monkeypatch) as (stack, phone, _):
        # Max-Forwards 0 would be answered 483 by validation; while shedding it is refused first
        phone.send(_invite(phone.port, "looping", max_forwards="0"), stack.listening[0])
        refusal = await _answer(phone)
        assert refusal.status == 503 and refusal.call_id == "looping"
    async with shedding_stack(monkeypatch) as (stack, phone, _):
        stack.transport.screen = None  # unscreened, the same INVITE gets validation's answer
        stack.transport.raw_screen = None  # (nor screened from its bytes)
        phone.send(_invite(phone.port, "looping", max_forwards="0"), stack.listening[0])
        assert (await _answer(phone)).status == 483


async def test_an_invite_without_cseq_while_shedding_is_still_validated_and_gets_400(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with shedding_stack(monkeypatch) as (stack, phone, validations):
        phone.send(_invite(phone.port, "no-cseq", cseq=False), stack.listening[0])
        assert (await _answer(phone)).status == 400
        assert validations.calls[-1] == "no-cseq"
        assert stack.guard is not None and stack.guard.stateless == 0


async def test_a_retransmitted_admitted_invite_while_shedding_reaches_its_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with shedding_stack(monkeypatch) as (stack, phone, _):
        phone.send(_invite(phone.port, "admitted"), stack.listening[0])
        again = await _answer(phone)
        assert again.status == 480 and again.call_id == "admitted"  # its transaction's answer
        assert stack.guard is not None and stack.guard.stateless == 0
