"""The SIP transport over TCP and TLS on real loopback sockets: framing of odd chunks, limits,
idle timeout, CRLF keep-alive, connection reuse and a TLS round trip with trustme certificates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from fleet.sip.framing import FramingLimits
from fleet.sip.message import Response, serialize
from fleet.sip.transport_types import TCP, TLS, EventKind, Peer, TransportConfig
from tests.sip.transport_support import (
    LOOPBACK,
    answer,
    endpoint,
    other_tasks,
    read_message,
    read_until_eof,
    request,
    tcp_client,
)


def _chunks(data: bytes, sizes: tuple[int, ...]) -> Iterator[bytes]:
    start, i = 0, 0
    while start < len(data):
        size = sizes[i % len(sizes)]
        yield data[start : start + size]
        start, i = start + size, i + 1


async def test_two_messages_split_in_odd_chunks_on_one_stream_arrive_whole_and_in_order() -> None:
    first = request("INVITE", via="SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-s1", body=b"v=0\r\n")
    second = request("BYE", via="SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-s2", call_id="call-2")
    stream = serialize(first) + serialize(second)
    async with endpoint() as server, tcp_client(server.port) as (_, writer):
        for chunk in _chunks(stream, (1, 7, 13, 3, 101)):
            writer.write(chunk)
            await writer.drain()
        got_first, source_first = await server.user.request()
        got_second, source_second = await server.user.request()
    assert (got_first.method, got_first.body, got_second.method) == ("INVITE", b"v=0\r\n", "BYE")
    assert got_second.call_id == "call-2"
    assert source_first == source_second and source_first.transport == TCP


async def test_an_oversized_header_section_closes_the_connection_and_the_server_lives_on() -> None:
    limits = FramingLimits(max_header_bytes=512)
    async with endpoint(limits=limits) as server:
        async with tcp_client(server.port) as (reader, writer):
            writer.write(b"OPTIONS sip:x@example.net SIP/2.0\r\n" + b"X-Filler: abcdefgh\r\n" * 60)
            assert await read_until_eof(reader) == b""
        event = await server.events.wait_kind(EventKind.FRAMING_ERROR)
        assert "512" in event.detail
        async with tcp_client(server.port) as (_, writer):
            writer.write(serialize(request(via="SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-o1")))
            received, _ = await server.user.request()
    assert received.method == "OPTIONS"
    assert EventKind.CALLBACK_ERROR not in server.events.kinds()


async def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    async with endpoint(idle_timeout=0.05) as server, tcp_client(server.port) as (reader, _):
        assert await read_until_eof(reader) == b""
        event = await server.events.wait_kind(EventKind.CLOSED)
    assert event.detail == "idle timeout"
    assert EventKind.IDLE_CLOSED in server.events.kinds()
    assert server.transport.open_connections == 0


async def test_a_crlf_keepalive_ping_is_answered_with_a_single_crlf_pong() -> None:
    async with endpoint() as server, tcp_client(server.port) as (reader, writer):
        writer.write(b"\r\n\r\n")
        await server.events.wait_kind(EventKind.KEEPALIVE)
        writer.write(serialize(request(via="SIP/2.0/TCP 127.0.0.1:1;rport;branch=z9hG4bK-k1")))
        received, source = await server.user.request()
        await server.transport.send_response(answer(received), source)
        data = await read_message(reader)
    assert data.startswith(b"\r\nSIP/2.0 200 OK\r\n")


async def test_two_requests_to_the_same_peer_share_one_tcp_connection() -> None:
    async with endpoint() as caller, endpoint() as callee:
        target = Peer(TCP, LOOPBACK, callee.port)
        await caller.transport.send_request(request(call_id="r1"), target)
        await caller.transport.send_request(request(call_id="r2"), target)
        _, first = await callee.user.request()
        _, second = await callee.user.request()
        assert caller.transport.open_connections == callee.transport.open_connections == 1
    assert first == second


@pytest.fixture
def certificates(tmp_path: Path) -> dict[str, Path]:
    authority = trustme.CA()
    issued = authority.issue_cert(LOOPBACK, "localhost")
    paths = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    authority.cert_pem.write_to_path(paths["ca"])
    issued.private_key_pem.write_to_path(paths["key"])
    for blob in issued.cert_chain_pems:
        blob.write_to_path(paths["cert"], append=True)
    return paths


async def test_a_tls_request_and_its_response_cross_with_certificates_from_configuration(
    certificates: dict[str, Path],
) -> None:
    server_config = TransportConfig(
        host=LOOPBACK,
        port=0,
        tls_port=0,
        tls_cert=certificates["cert"],
        tls_key=certificates["key"],
    )
    client_config = TransportConfig(host=LOOPBACK, port=0, tls_ca=certificates["ca"])
    async with endpoint(server_config) as server, endpoint(client_config) as client:
        assert server.transport.tls_port not in (None, 0, server.port)
        sent = request("INVITE", via="SIP/2.0/TLS ;branch=z9hG4bK-tls1", body=b"v=0\r\n")
        target = Peer(TLS, LOOPBACK, server.transport.tls_port or 0)
        await client.transport.send_request(sent, target)
        received, source = await server.user.request()
        await server.transport.send_response(answer(received, 180, "Ringing"), source)
        reply, reply_source = await client.user.response()
    assert source.transport == TLS and received.body == b"v=0\r\n"
    via = received.top_via
    assert via is not None and via.transport == TLS
    assert isinstance(reply, Response) and reply.status == 180
    assert reply_source == target
    assert other_tasks() == set()


async def test_a_tls_server_whose_certificate_is_not_trusted_gives_a_send_error(
    certificates: dict[str, Path], tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(stranger)
    server_config = TransportConfig(
        host=LOOPBACK,
        port=0,
        tls_port=0,
        tls_cert=certificates["cert"],
        tls_key=certificates["key"],
    )
    async with endpoint(server_config) as server, endpoint(tls_ca=stranger) as client:
        target = Peer(TLS, LOOPBACK, server.transport.tls_port or 0)
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.transport.send_request(
                request(via="SIP/2.0/TLS ;branch=z9hG4bK-x"), target
            )
    assert server.user.requests.empty()
