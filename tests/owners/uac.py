"""A small SIP caller over UDP for the fleet-owner tests, playing the S-CSCF (ISC,
terminating case): an INVITE to a fleet line's number sent to one FleetPBX process (or to
Kamailio), its final response read; a 2xx is ACKed and the call hung up with BYE, any other
final response ACKed. Nothing else is answered: the tests only need the outcome and the
Contact of a redirection."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

WITHIN = 30.0  # seconds for a final response on a busy machine (FleetPBX's timers are shorter)

SDP = (
    "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # the first value of each header, by lower-case name
    raw: str

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def parse(text: str) -> Reply | None:
    """A response (None for a request FleetPBX sent us)."""
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    if not head[0].startswith("SIP/2.0 "):
        return None
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return Reply(status=int(head[0].split()[1]), headers=headers, raw=text)


class _Socket(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.inbox.put_nowait(data.decode(errors="replace"))


@dataclass
class Call:
    """One call's outcome: the final response to the INVITE, and (2xx) the BYE's."""

    call_id: str
    final: Reply
    bye: Reply | None = None
    provisional: list[int] = field(default_factory=list)


class Caller:
    """A UDP socket of 127.0.0.1 sending INVITEs."""

    def __init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._socket = _Socket()
        self.port = 0

    async def __aenter__(self) -> Caller:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self._socket, local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._transport is not None:
            self._transport.close()

    def _send(self, text: str, port: int) -> None:
        assert self._transport is not None
        self._transport.sendto(text.encode(), ("127.0.0.1", port))

    async def _response(self, call_id: str, method: str) -> Reply:
        async with asyncio.timeout(WITHIN):
            while True:
                reply = parse(await self._socket.inbox.get())
                if reply is None or call_id not in reply.header("call-id"):
                    continue  # a request, or another call's retransmission
                if reply.header("cseq").split()[-1] == method:
                    return reply

    async def call(self, number: str, port: int, *, caller: str = "+33699000009") -> Call:
        """Call ``number`` (+E164) through 127.0.0.1:``port`` as ``caller`` (+E164, the
        asserted identity); wait for the final answer."""
        call_id = f"owners-{secrets.token_hex(8)}"
        tag = secrets.token_hex(4)
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        uri = f"sip:{number}@127.0.0.1:{port};user=phone"
        common = (
            f"From: <sip:{caller}@127.0.0.1:{self.port};user=phone>;tag={tag}\r\n"
            f"Call-ID: {call_id}\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:scscf@127.0.0.1:{self.port}>\r\n"
        )
        via = f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
        self._send(
            f"INVITE {uri} SIP/2.0\r\n{via}{common}To: <{uri}>\r\nCSeq: 1 INVITE\r\n"
            f"P-Asserted-Identity: <tel:{caller}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(SDP)}\r\n\r\n{SDP}",
            port,
        )
        provisional: list[int] = []
        while (reply := await self._response(call_id, "INVITE")).status < 200:
            provisional.append(reply.status)
        to = reply.header("to")
        if reply.status >= 300:  # the ACK of a non-2xx is of the INVITE's transaction
            self._send(
                f"ACK {uri} SIP/2.0\r\n{via}{common}To: {to}\r\nCSeq: 1 ACK\r\n"
                "Content-Length: 0\r\n\r\n",
                port,
            )
            return Call(call_id=call_id, final=reply, provisional=provisional)
        routes = "".join(
            f"Route: {line.split(':', 1)[1].strip()}\r\n"
            for line in reversed(reply.raw.split("\r\n\r\n", 1)[0].split("\r\n"))
            if line.lower().startswith("record-route:")
        )
        target = reply.header("contact").strip("<>").split(">", 1)[0]
        for method, cseq in (("ACK", 1), ("BYE", 2)):
            via = f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{secrets.token_hex(8)}"
            self._send(
                f"{method} {target} SIP/2.0\r\n{via};rport\r\n{common}To: {to}\r\n{routes}"
                f"CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
                port,
            )
        bye = await self._response(call_id, "BYE")
        return Call(call_id=call_id, final=reply, bye=bye, provisional=provisional)
