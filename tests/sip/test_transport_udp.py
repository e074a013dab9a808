"""The SIP transport over UDP on real loopback sockets: one port for UDP and TCP, RFC 3581
``received``/``rport``, stateless answers to requests it cannot take, RFC 3261 §18.1.1 size
rule, send failures and a clean close."""

from __future__ import annotations

import socket

import pytest

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transport_types import TCP, UDP, EventKind, Peer, SendError
from fleet.sip.validate import UasPolicy
from tests.sip.transport_support import (
    LOOPBACK,
    answer,
    endpoint,
    other_tasks,
    read_message,
    request,
    tcp_client,
    udp_peer,
)


async def test_udp_and_tcp_listen_on_the_same_freely_chosen_port() -> None:
    async with endpoint() as server:
        assert server.port > 0
        async with udp_peer() as phone:
            phone.send(
                serialize(request(via="SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-u")), server.port
            )
            _, by_udp = await server.user.request()
        async with tcp_client(server.port) as (_, writer):
            writer.write(serialize(request(via="SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-t")))
            _, by_tcp = await server.user.request()
    assert (by_udp.transport, by_tcp.transport) == (UDP, TCP)
    assert any(
        e.kind is EventKind.LISTENING and str(server.port) in e.detail for e in server.events.events
    )


async def test_a_udp_request_asking_rport_is_stamped_and_answered_to_received_and_rport() -> None:
    async with endpoint() as server, udp_peer() as phone:
        phone.send(
            serialize(request(via="SIP/2.0/UDP 192.0.2.99:5999;rport;branch=z9hG4bK-r1")),
            server.port,
        )
        received, source = await server.user.request()
        via = received.top_via
        assert via is not None
        assert (via.received, via.rport) == (LOOPBACK, phone.port)
        assert source == Peer(UDP, LOOPBACK, phone.port)

        sent_to = await server.transport.send_response(answer(received))
        reply = parse_message(await phone.receive())
    assert sent_to == Peer(UDP, LOOPBACK, phone.port)
    assert isinstance(reply, Response) and reply.status == 200
    assert reply.top_via == via


async def test_a_sent_by_host_other_than_the_source_gets_received_and_the_sent_by_port() -> None:
    async with endpoint() as server, udp_peer() as phone:
        via = f"SIP/2.0/UDP phone.example.invalid:{phone.port};branch=z9hG4bK-r2"
        phone.send(serialize(request(via=via)), server.port)
        received, _ = await server.user.request()
        top = received.top_via
        assert top is not None
        assert (top.received, top.rport, top.wants_rport) == (LOOPBACK, None, False)

        await server.transport.send_response(answer(received))
        reply = parse_message(await phone.receive())
    assert isinstance(reply, Response) and reply.status == 200


async def test_a_sent_by_equal_to_the_source_gets_no_received() -> None:
    async with endpoint() as server, udp_peer() as phone:
        via = f"SIP/2.0/UDP {LOOPBACK}:{phone.port};branch=z9hG4bK-r3"
        phone.send(serialize(request(via=via)), server.port)
        received, _ = await server.user.request()
    assert received.headers.get("Via") == via


async def test_a_malformed_request_with_readable_routing_headers_gets_400_to_its_rport() -> None:
    async with endpoint() as server, udp_peer() as phone:
        good = serialize(request(via="SIP/2.0/UDP 192.0.2.99;rport;branch=z9hG4bK-m1"))
        head, _, rest = good.partition(b"\r\n")
        phone.send(head + b"\r\nthis line is no header\r\n" + rest, server.port)
        reply = parse_message(await phone.receive())
        assert isinstance(reply, Response) and reply.status == 400
        via = reply.top_via
        assert via is not None and (via.received, via.rport) == (LOOPBACK, phone.port)
        assert reply.to is not None and reply.to.tag
        assert reply.call_id == "call-1"
        event = await server.events.wait_kind(EventKind.REJECTED)
    assert event.status == 400
    assert server.user.requests.empty()


async def test_a_malformed_request_without_a_via_is_dropped_unanswered() -> None:
    async with endpoint() as server, udp_peer() as phone:
        phone.send(
            b"OPTIONS sip:x@example.net SIP/2.0\r\nbroken\r\nCall-ID: c\r\n\r\n", server.port
        )
        await server.events.wait_kind(EventKind.DROPPED)
        # the answer, had there been one, is sent before the event is reported
        assert phone.pending() == 0
    assert EventKind.REJECTED not in server.events.kinds()


async def test_a_malformed_response_is_dropped_and_never_reaches_the_user() -> None:
    async with endpoint() as server, udp_peer() as phone:
        phone.send(
            b"SIP/2.0 999999 Huge\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n", server.port
        )
        event = await server.events.wait_kind(EventKind.DROPPED)
    assert "malformed response" in event.detail
    assert server.user.responses.empty()


async def test_with_a_policy_an_unknown_method_gets_501_with_allow() -> None:
    policy = UasPolicy(methods=frozenset({"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"}))
    async with endpoint(policy=policy) as server, udp_peer() as phone:
        via = f"SIP/2.0/UDP {LOOPBACK}:{phone.port};branch=z9hG4bK-p1"
        phone.send(serialize(request("FROBNICATE", via=via)), server.port)
        reply = parse_message(await phone.receive())
    assert isinstance(reply, Response) and reply.status == 501
    assert reply.allow == ("ACK", "BYE", "CANCEL", "INVITE", "OPTIONS")


async def test_a_small_request_goes_by_udp_with_the_sent_by_filled_in() -> None:
    async with endpoint() as caller, endpoint() as callee:
        sent = request()
        peer = await caller.transport.send_request(sent, Peer(UDP, LOOPBACK, callee.port))
        received, source = await callee.user.request()
    assert peer == Peer(UDP, LOOPBACK, callee.port)
    assert source == Peer(UDP, LOOPBACK, caller.port)
    via = received.top_via
    assert via is not None
    assert (via.transport, via.host, via.port, via.branch) == (
        UDP,
        LOOPBACK,
        caller.port,
        "z9hG4bK-t1",
    )


async def test_a_request_over_1300_bytes_sent_by_udp_goes_over_tcp_with_its_via_rewritten() -> None:
    async with endpoint() as caller, endpoint() as callee:
        big = request("INVITE", body=b"v=0\r\n" + b"a=x\r\n" * 280)
        assert len(serialize(big)) > 1300
        peer = await caller.transport.send_request(big, Peer(UDP, LOOPBACK, callee.port))
        received, source = await callee.user.request()
        # the response goes back over the connection the request came on
        await callee.transport.send_response(answer(received), source)
        reply, reply_source = await caller.user.response()
    assert peer.transport == TCP and source.transport == TCP
    via = received.top_via
    assert via is not None and (via.transport, via.port) == (TCP, caller.port)
    assert received.body == big.body
    assert reply.status == 200 and reply_source == Peer(TCP, LOOPBACK, callee.port)


async def test_a_response_goes_back_over_the_tcp_connection_its_request_came_on() -> None:
    async with endpoint() as server, tcp_client(server.port) as (reader, writer):
        # the sent-by is unreachable: only the open connection can carry the answer
        writer.write(serialize(request(via="SIP/2.0/TCP 192.0.2.1:5999;branch=z9hG4bK-c1")))
        received, source = await server.user.request()
        sent_to = await server.transport.send_response(answer(received), source)
        reply = parse_message(await read_message(reader))
        local_port = writer.get_extra_info("sockname")[1]
    assert sent_to == Peer(TCP, LOOPBACK, local_port) == source
    assert isinstance(reply, Response) and reply.status == 200


async def test_a_response_finds_its_connection_by_the_stamped_rport_alone() -> None:
    async with endpoint() as server, tcp_client(server.port) as (reader, writer):
        writer.write(serialize(request(via="SIP/2.0/TCP 192.0.2.1:5999;rport;branch=z9hG4bK-c2")))
        received, _ = await server.user.request()
        await server.transport.send_response(answer(received))
        reply = parse_message(await read_message(reader))
    assert isinstance(reply, Response) and reply.status == 200


async def test_a_request_to_a_closed_tcp_port_raises_send_error() -> None:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        closed_port = probe.getsockname()[1]  # bound, never listening: connections are refused
        async with endpoint() as caller:
            with pytest.raises(SendError) as raised:
                await caller.transport.send_request(request(), Peer(TCP, LOOPBACK, closed_port))
    assert raised.value.peer == Peer(TCP, LOOPBACK, closed_port)


async def test_a_request_without_via_cannot_be_sent() -> None:
    bare = Request("OPTIONS", "sip:x@example.net")
    async with endpoint() as caller:
        with pytest.raises(SendError):
            await caller.transport.send_request(bare, Peer(UDP, LOOPBACK, 5060))


async def test_close_leaves_no_task_socket_or_connection_behind() -> None:
    async with endpoint() as caller, endpoint() as callee:
        await caller.transport.send_request(request(), Peer(TCP, LOOPBACK, callee.port))
        await callee.user.request()
        assert caller.transport.open_connections == 1
    assert other_tasks() == set()
    assert caller.transport.open_connections == callee.transport.open_connections == 0
    assert caller.events.kinds().count(EventKind.CLOSED) == 1
