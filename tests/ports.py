"""Free TCP ports for services a test starts, stops and starts again on the same port.

They are taken outside the kernel's range of ephemeral ports: while nothing listens on such
a port, no connection elsewhere on the machine is given it as its own port (which would keep
the service from listening on it again), and no other test's ``bind(0)`` picks it."""

from __future__ import annotations

import errno
import random
import socket
from pathlib import Path

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing is bound to now, below the ephemeral range."""
    ports = list(range(LOWEST, max(LOWEST + 1, _ephemeral_low())))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            return port
    raise OSError(errno.EADDRINUSE, "no free port below the ephemeral range")
