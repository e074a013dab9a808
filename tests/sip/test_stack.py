"""The stack on the event loop over real loopback sockets: the OPTIONS responder reached by UDP
and TCP through transport and transaction layer, a send that fails after it began reported to
the transaction user, and a stop that leaves no task, timer or socket behind."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import LoopScheduler, SipStack
from fleet.sip.transaction_client import NonInviteClientState
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transport_types import TCP, Peer, SendError, TransportConfig
from fleet.sip.validate import UasPolicy
from tests.polling import eventually
from tests.sip.lossy import RecordingTU
from tests.sip.transport_support import LOOPBACK, read_message, tcp_client, udp_peer

CONFIG = TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy())


@asynccontextmanager
async def running(tu: TransactionUser | None = None) -> AsyncIterator[SipStack]:
    stack = SipStack(CONFIG, tu=tu)
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


def probe(method: str, transport: str, port: int, branch: str, call_id: str) -> Request:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/{transport} {LOOPBACK}:{port};branch={branch}"),
            ("Max-Forwards", "70"),
            ("From", "<sip:probe@example.net>;tag=p1"),
            ("To", "<sip:fleetpbx@example.net>"),
            ("Call-ID", call_id),
            ("CSeq", f"3 {method}"),
        ]
    )
    return Request(method, "sip:fleetpbx@example.net", headers)


def assert_options_answer(answer: Request | Response, sent: Request) -> None:
    assert isinstance(answer, Response) and answer.status == 200
    assert answer.headers.get_all("Via") == sent.headers.get_all("Via")
    assert (answer.call_id, answer.headers.get("CSeq")) == (sent.call_id, "3 OPTIONS")
    assert "OPTIONS" in (answer.headers.get("Allow") or "")
    assert answer.headers.get("Accept") == "application/sdp"
    assert answer.headers.get("Supported") == "100rel, timer"


async def test_options_over_udp_reaches_the_responder_through_the_transaction_layer() -> None:
    responder = OptionsResponder()
    async with running(responder) as stack, udp_peer() as phone:
        sent = probe("OPTIONS", "UDP", phone.port, "z9hG4bK-s1", "udp-1")
        phone.send(serialize(sent), stack.listening[0])
        assert_options_answer(parse_message(await phone.receive()), sent)
        phone.send(serialize(sent), stack.listening[0])  # retransmitted: answered again
        assert_options_answer(parse_message(await phone.receive()), sent)
        assert responder.answered == {200: 1}
        assert len(stack.layer) == 1  # the server transaction absorbs retransmissions (timer J)


async def test_options_over_tcp_is_answered_on_the_same_connection() -> None:
    async with running() as stack, tcp_client(stack.listening[0]) as (reader, writer):
        port = int(writer.get_extra_info("sockname")[1])
        sent = probe("OPTIONS", "TCP", port, "z9hG4bK-s2", "tcp-1")
        writer.write(serialize(sent))
        assert_options_answer(parse_message(await read_message(reader)), sent)
        await eventually(lambda: len(stack.layer) == 0, what="timer J zero over TCP")


async def test_an_invite_is_refused_480_and_stop_leaves_no_task_timer_or_socket() -> None:
    async with running() as stack, udp_peer() as phone:
        sent = probe("INVITE", "UDP", phone.port, "z9hG4bK-s3", "inv-1")
        phone.send(serialize(sent), stack.listening[0])
        answer = parse_message(await phone.receive())
        assert isinstance(answer, Response) and answer.status == 480
        assert "no call handling" in (answer.headers.get("Warning") or "")
        assert stack.scheduler.pending >= 2  # timers G and H of the INVITE server transaction
        tasks_before = len(asyncio.all_tasks())
    assert stack.scheduler.pending == 0 and stack.port.in_flight == 0
    assert len(asyncio.all_tasks()) <= tasks_before
    with pytest.raises(SendError):
        stack.port.send(answer, Peer(TCP, LOOPBACK, 1))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, stack.listening[0]))  # the UDP port is free again


async def test_a_request_whose_connection_cannot_be_opened_ends_its_transaction() -> None:
    with socket.socket() as closed:
        closed.bind((LOOPBACK, 0))
        nobody = int(closed.getsockname()[1])
    tu = RecordingTU()
    async with running(tu) as stack:
        options = probe("OPTIONS", "TCP", 5060, "z9hG4bK-s4", "out-1")
        client = stack.layer.send_request(options, Peer(TCP, LOOPBACK, nobody))
        await eventually(lambda: tu.kinds() == ["transport error"], what="the failure reported")
        assert client.state is NonInviteClientState.TERMINATED
        assert len(stack.layer) == 0 and stack.port.in_flight == 0
        assert stack.scheduler.pending == 0  # timers E and F stopped with it


async def test_the_loop_scheduler_runs_callbacks_on_loop_time_and_forgets_them() -> None:
    scheduler = LoopScheduler()
    fired = asyncio.Event()
    loop = asyncio.get_running_loop()
    before = loop.time()
    start = scheduler.now()
    assert before <= start <= loop.time()
    scheduler.call_later(0.001, fired.set)
    cancelled = scheduler.call_later(0.001, lambda: pytest.fail("a cancelled timer fired"))
    cancelled.cancel()
    assert scheduler.pending == 1
    async with asyncio.timeout(10):
        await fired.wait()
    assert scheduler.pending == 0 and scheduler.now() > start
