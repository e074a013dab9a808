"""The floor of ``sip_stack.py``: what answering SIPp's ``uac`` scenario costs a Python process
on this event loop with no SIP stack at all — a datagram endpoint that copies the Via, From,
To, Call-ID and CSeq lines of each INVITE and BYE into a 200 (a To tag added to the INVITE's)
and ignores the ACK. No parsing beyond the start line and the header names, no transaction, no
dialog, no timer, no retransmission handling: not a SIP implementation, only the price of the
event loop, the sockets and the least string work, so that the stack's CPU per call can be
read against it.

Same protocol on stdin/stdout as ``_sip_uas.py`` (``ready <port>``, ``stats``, ``quit``).

    .venv/bin/python bench/_sip_floor.py [--loop uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import cast

LOOPBACK = "127.0.0.1"
COPIED = (b"via:", b"v:", b"from:", b"f:", b"to:", b"t:", b"call-id:", b"i:", b"cseq:")


def answer(datagram: bytes, tag: bytes) -> bytes | None:
    """The 200 to an INVITE or a BYE; None for anything else (the ACK)."""
    head, _, _ = datagram.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method = lines[0].split(b" ", 1)[0]
    if method not in (b"INVITE", b"BYE"):
        return None
    out = [b"SIP/2.0 200 OK"]
    for line in lines[1:]:
        name = line[: line.find(b":") + 1].lower().replace(b" ", b"")
        if name in COPIED:
            if method == b"INVITE" and name in (b"to:", b"t:"):
                line += b";tag=" + tag
            out.append(line)
    out.append(b"Contact: <sip:floor@" + LOOPBACK.encode() + b">")
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


class Floor(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.counts = {"invites": 0, "acks": 0, "byes": 0}
        self._tags = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if data.startswith(b"ACK "):
            self.counts["acks"] += 1
            return
        self._tags += 1
        response = answer(data, str(self._tags).encode())
        if response is None or self.transport is None:
            return
        self.counts["byes" if data.startswith(b"BYE ") else "invites"] += 1
        self.transport.sendto(response, addr)


async def serve() -> None:
    loop = asyncio.get_running_loop()
    transport, floor = await loop.create_datagram_endpoint(Floor, local_addr=(LOOPBACK, 0))
    port = transport.get_extra_info("sockname")[1]
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    sys.stdout.write(f"ready {port}\n")
    sys.stdout.flush()
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "quit":
                break
            stats = {
                **floor.counts,
                "shed": 0,
                "transactions": 0,
                "max_transactions": 0,
                "lag": 0.0,
                "worst_lag": 0.0,
                "cpu": time.process_time(),
                "drops": 0,
            }
            sys.stdout.write(json.dumps(stats) + "\n")
            sys.stdout.flush()
    finally:
        transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args, _ = parser.parse_known_args()  # the UAS's own flags are accepted and ignored
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve())
    else:
        asyncio.run(serve())


if __name__ == "__main__":
    main()
