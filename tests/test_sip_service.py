"""SIP in the service: the settings, the stack as a resource of the aiohttp application
(OPTIONS answered over UDP and TCP, INVITE refused, a clean stop) and ``fleetpbx serve
--sip-port 0`` as a subprocess answering OPTIONS on the port it logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient

from fleet.app import SIP_STACK, build_app
from fleet.config import ConfigError, load_settings
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from tests.polling import wait_until
from tests.ports import free_port
from tests.sip.transport_support import LOOPBACK, WAIT, read_message, tcp_client, udp_peer

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))


def probe(method: str, transport: str, port: int, branch: str) -> Request:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/{transport} {LOOPBACK}:{port};branch={branch}"),
            ("Max-Forwards", "70"),
            ("From", "<sip:probe@example.net>;tag=p1"),
            ("To", "<sip:fleetpbx@example.net>"),
            ("Call-ID", f"{branch}@probe"),
            ("CSeq", f"11 {method}"),
        ]
    )
    return Request(method, "sip:fleetpbx@example.net", headers)


def check_options_answer(answer: Request | Response, sent: Request) -> None:
    """200 with Allow, Accept and Supported; Via, Call-ID and CSeq those of the request."""
    assert isinstance(answer, Response), answer
    assert (answer.status, answer.reason) == (200, "OK")
    assert answer.headers.get_all("Via") == sent.headers.get_all("Via")
    assert answer.call_id == sent.call_id
    assert answer.headers.get("CSeq") == "11 OPTIONS"
    assert answer.headers.get("Allow") == "ACK, BYE, CANCEL, INFO, INVITE, OPTIONS, PRACK, UPDATE"
    assert answer.headers.get("Accept") == "application/sdp"
    assert answer.headers.get("Supported") == "100rel, timer"


# settings


def test_sip_is_off_unless_a_sip_port_is_set() -> None:
    settings = load_settings(env={})
    assert settings.sip_port is None and settings.sip_host == "127.0.0.1"
    assert (settings.sip_t1, settings.sip_t2, settings.sip_t4) == (0.5, 4.0, 5.0)
    assert load_settings(env={"FLEETPBX_SIP_PORT": "0"}).sip_port == 0
    assert load_settings(cli={"sip_port": 5062}, env={}).sip_port == 5062


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FLEETPBX_SIP_PORT": "70000"}, "sip_port"),
        ({"FLEETPBX_SIP_T1": "0"}, "sip_t1"),
        ({"FLEETPBX_SIP_T1": "5", "FLEETPBX_SIP_T2": "4"}, "sip_t1 must not exceed sip_t2"),
        ({"FLEETPBX_SIP_TLS_PORT": "5061"}, "set sip_port too"),
        ({"FLEETPBX_SIP_PORT": "5060", "FLEETPBX_SIP_TLS_PORT": "5061"}, "sip_tls_cert"),
        (
            {
                "FLEETPBX_SIP_PORT": "5070",
                "FLEETPBX_SIP_TLS_PORT": "5070",
                "FLEETPBX_SIP_TLS_CERT": "c.pem",
                "FLEETPBX_SIP_TLS_KEY": "k.pem",
            },
            "a port of its own",
        ),
    ],
)
def test_bad_sip_settings_are_refused_with_the_setting_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


# the stack in the application


async def test_the_app_answers_options_over_udp_and_tcp_and_refuses_invite(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    settings = load_settings(cli={"database_url": database_url, "sip_port": 0}, env={})
    with structlog.testing.capture_logs() as logs:
        app = build_app(settings=settings)
        client = await aiohttp_client(app)
        stack = app[SIP_STACK]
        port = stack.listening[0]
        assert port > 0
        async with udp_peer() as phone:
            sent = probe("OPTIONS", "UDP", phone.port, "z9hG4bK-app-u")
            phone.send(serialize(sent), port)
            check_options_answer(parse_message(await phone.receive()), sent)
            invite = probe("INVITE", "UDP", phone.port, "z9hG4bK-app-i")
            phone.send(serialize(invite), port)
            refusal = parse_message(await phone.receive())
            assert isinstance(refusal, Response)
            assert (refusal.status, refusal.reason) == (480, "Temporarily Unavailable")
            assert "no call handling" in (refusal.headers.get("Warning") or "")
            phone.send(serialize(probe("FROB", "UDP", phone.port, "z9hG4bK-app-f")), port)
            unknown = parse_message(await phone.receive())  # refused by the transport
            assert isinstance(unknown, Response) and unknown.status == 501
        async with tcp_client(port) as (reader, writer):
            local = int(writer.get_extra_info("sockname")[1])
            sent = probe("OPTIONS", "TCP", local, "z9hG4bK-app-t")
            writer.write(serialize(sent))
            check_options_answer(parse_message(await read_message(reader)), sent)
        await client.close()
    [listening] = [entry for entry in logs if entry["event"] == "sip_listening"]
    buffer = listening.pop("udp_receive_buffer")  # what the kernel granted (it doubles asks)
    assert isinstance(buffer, int) and buffer > 0
    assert listening == {
        "event": "sip_listening",
        "host": "127.0.0.1",
        "port": port,
        "tls_port": None,
        "log_level": "info",
    }
    assert any(entry["event"] == "sip_stopped" for entry in logs)
    [rejected] = [entry for entry in logs if entry["event"] == "sip_transport_rejected"]
    assert rejected["status"] == 501 and rejected["log_level"] == "info"
    assert str(rejected["peer"]).startswith("UDP:127.0.0.1:")
    assert stack.scheduler.pending == 0 and stack.port.in_flight == 0
    assert stack.transport.open_connections == 0
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((LOOPBACK, port))  # both ports are free again


async def test_without_a_sip_port_the_app_has_no_sip_stack(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    await aiohttp_client(app)
    assert SIP_STACK not in app


# fleetpbx serve --sip-port 0


def _options_over_udp(port: int) -> Response:
    """OPTIONS by a blocking UDP socket, sent again each second until answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(1.0)
        sent = probe("OPTIONS", "UDP", int(sock.getsockname()[1]), "z9hG4bK-cli")

        def answered() -> Response | None:
            sock.sendto(serialize(sent), (LOOPBACK, port))
            try:
                data = sock.recv(65535)
            except TimeoutError:
                return None
            answer = parse_message(data)
            assert isinstance(answer, Response)
            check_options_answer(answer, sent)
            return answer

        return wait_until(answered, within=WAIT * 3, every=0, what="OPTIONS answered")


def test_serve_with_sip_port_0_logs_the_port_and_answers_options(tmp_path: Path) -> None:
    output = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
    env |= {
        "FLEETPBX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "FLEETPBX_LOG_FORMAT": "json",
    }
    with output.open("w") as sink:
        process = subprocess.Popen(
            [FLEETPBX, "serve", "--port", str(free_port()), "--sip-port", "0"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def listening() -> dict[str, object] | None:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {output.read_text()}")
        for line in output.read_text().splitlines():
            if line.startswith("{") and '"sip_listening"' in line:
                entry: dict[str, object] = json.loads(line)
                return entry
        return None

    try:
        entry = wait_until(listening, within=90, what="serve logging sip_listening")
        assert entry["host"] == "127.0.0.1" and entry["tls_port"] is None
        port = entry["port"]
        assert isinstance(port, int) and port > 0
        answer = _options_over_udp(port)
        assert answer.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0, output.read_text()
    assert '"sip_stopped"' in output.read_text()
