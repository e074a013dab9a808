"""Socket tuning of the SIP transport: the size of the UDP socket's receive buffer.

A burst of datagrams the event loop has not read yet waits in the kernel's receive buffer; the
Linux default (``net.core.rmem_default``, 208 KiB) holds a few hundred SIP messages, a fraction
of a second at a few thousand calls per second, and what does not fit is dropped unseen (then
retransmitted by the peers, which adds load). :func:`receive_buffer` asks for a larger one with
``SO_RCVBUF``; the kernel caps that at ``net.core.rmem_max``, and a process with
``CAP_NET_ADMIN`` may go past the cap with ``SO_RCVBUFFORCE`` (Linux), which is tried then."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from typing import Any

log = logging.getLogger(__name__)

SO_RCVBUFFORCE = 33  # Linux <asm-generic/socket.h>; the socket module does not name it


def buffer_size(sock: Any) -> int:
    """The receive buffer the kernel accounts for ``sock``, in bytes (Linux reports twice the
    size asked for: the other half is its bookkeeping)."""
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


def receive_buffer(sock: Any, wanted: int) -> int:
    """Ask for a receive buffer of ``wanted`` bytes: ``SO_RCVBUF``, then, when the kernel capped
    it and this is Linux, ``SO_RCVBUFFORCE`` (needs ``CAP_NET_ADMIN``; refused silently
    otherwise). Returns the size obtained (:func:`buffer_size`)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
    got = buffer_size(sock)
    if got < wanted and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, wanted)
        got = buffer_size(sock)
    if got < wanted:
        log.warning(
            "SIP UDP receive buffer: %d bytes asked, %d obtained (raise net.core.rmem_max)",
            wanted,
            got,
        )
    return got
