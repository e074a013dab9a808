"""tshark for the SIP capture test: capture one UDP and TCP port on loopback to a file, then read
the file back through Wireshark's SIP dissector, one record per SIP message.

The generic parts (finding tshark, running it, skipping or failing under
``FLEETPBX_REQUIRE_TOOLS=1``) are those of the SMPP capture tests (:mod:`tests.smpp_tshark`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from tests.smpp_tshark import ExpertInfo, TsharkCapture, read_expert_infos, run_tshark

# Wireshark's expert severities (epan/proto.h): PI_CHAT, PI_NOTE, PI_WARN, PI_ERROR
CHAT, NOTE, WARNING, ERROR = 0x00200000, 0x00400000, 0x00600000, 0x00800000


class Transport(Enum):
    UDP = "udp"
    TCP = "tcp"


def decoding(ports: tuple[int, ...]) -> tuple[str, ...]:
    """SIP on ``ports`` over UDP and TCP, TCP streams reassembled into whole messages."""
    decode_as = [f"{proto}.port=={port},sip" for port in ports for proto in ("udp", "tcp")]
    return (
        *(option for rule in decode_as for option in ("-d", rule)),
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
    )


@dataclass(frozen=True, slots=True)
class SipMessage:
    """One SIP message as the dissector read it: the transport and ports, and every ``sip.*``
    field it showed, as text."""

    frame: int
    transport: Transport
    src_port: int
    dst_port: int
    fields: Mapping[str, tuple[str, ...]]

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    @property
    def method(self) -> str | None:
        """The request's method; ``None`` for a response."""
        return self.value("sip.Method")

    @property
    def status(self) -> int | None:
        """The response's status code; ``None`` for a request."""
        status = self.value("sip.Status-Code")
        return None if status is None else int(status)

    @property
    def cseq_method(self) -> str | None:
        return self.value("sip.CSeq.method")

    def __str__(self) -> str:
        first = self.method if self.method is not None else f"{self.status} ({self.cseq_method})"
        ports = f":{self.src_port}->:{self.dst_port}"
        return f"#{self.frame} {self.transport.value} {ports} {first}"


def _leaves(tree: Any, into: dict[str, list[str]]) -> None:
    """Collect the string leaves of one dissected SIP message's JSON tree."""
    items: Iterator[tuple[str, Any]] = iter(tree.items()) if isinstance(tree, dict) else iter(())
    for name, value in items:
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                _leaves(element, into)
            elif isinstance(element, str):
                into.setdefault(name, []).append(element)


async def read_sip(binary: str, path: Path, ports: tuple[int, ...]) -> list[SipMessage]:
    """Every SIP message of the capture, in order (several in one TCP segment each count)."""
    out = await run_tshark(
        binary,
        "-r",
        str(path),
        *decoding(ports),
        "-Y",
        "sip",
        "-T",
        "json",
        "--no-duplicate-keys",
        "-J",
        "frame udp tcp sip",
    )
    messages: list[SipMessage] = []
    for packet in json.loads(out or "[]"):
        layers = packet["_source"]["layers"]
        frame = int(layers["frame"]["frame.number"])
        transport = Transport.UDP if "udp" in layers else Transport.TCP
        header = layers[transport.value]
        src_port = int(header[f"{transport.value}.srcport"])
        dst_port = int(header[f"{transport.value}.dstport"])
        trees = layers["sip"]
        for tree in trees if isinstance(trees, list) else [trees]:
            fields: dict[str, list[str]] = {}
            _leaves(tree, fields)
            sip = {
                name: tuple(values) for name, values in fields.items() if name.startswith("sip.")
            }
            messages.append(SipMessage(frame, transport, src_port, dst_port, sip))
    return messages


async def frames(binary: str, path: Path, ports: tuple[int, ...], display_filter: str) -> list[int]:
    """The frames matching ``display_filter``, in two passes (``-2``) so that a TCP segment
    knows the later frame its message is reassembled in."""
    out = await run_tshark(
        binary,
        "-2",
        "-r",
        str(path),
        *decoding(ports),
        "-Y",
        display_filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    )
    return [int(line) for line in out.split()]


async def not_sip(binary: str, path: Path, ports: tuple[int, ...]) -> list[int]:
    """Frames with payload the SIP dissector did not read as a SIP message: a datagram or a
    TCP segment outside any SIP message, or octets it shows as "continuation data" (what it
    does with bytes that do not start a SIP message, e.g. after a wrong Content-Length)."""
    return await frames(
        binary,
        path,
        ports,
        "(udp && !sip) || (tcp.len > 0 && !sip && !tcp.reassembled_in) || sip.continuation",
    )


async def malformed(binary: str, path: Path, ports: tuple[int, ...]) -> list[int]:
    return await frames(binary, path, ports, "_ws.malformed")


async def expert_infos(binary: str, path: Path, ports: tuple[int, ...]) -> list[ExpertInfo]:
    """Every expert info of the capture (any severity), in frame order."""
    return await read_expert_infos(binary, path, decoding(ports))


class SipCapture(TsharkCapture):
    """UDP and TCP on each of ``ports``, read back by the SIP dissector (:func:`decoding`)."""

    def __init__(
        self, binary: str, *, ports: tuple[int, ...], path: Path, interface: str = "lo"
    ) -> None:
        super().__init__(
            binary,
            path=path,
            capture_filter=" or ".join(
                f"{proto} port {port}" for port in ports for proto in ("udp", "tcp")
            ),
            decode_as=decoding(ports),
            interface=interface,
        )
        self.ports = ports
