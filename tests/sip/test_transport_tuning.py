"""The UDP socket's receive buffer (``udp_receive_buffer``): asked for with SO_RCVBUF, forced
past the kernel's cap with SO_RCVBUFFORCE when allowed, the size obtained reported; and the
host spellings the Via work compares (cached, so no message parses the same address twice)."""

from __future__ import annotations

import socket
import sys

import pytest

from fleet.sip.transport_tuning import SO_RCVBUFFORCE, buffer_size, receive_buffer
from fleet.sip.transport_types import EventKind
from fleet.sip.transport_via import is_ip, normal_host
from tests.sip.transport_support import LOOPBACK, endpoint


class CappedSocket:
    """A socket whose kernel caps SO_RCVBUF at ``cap`` and, when ``forcible``, lets
    SO_RCVBUFFORCE go past it (Linux reports twice the size set)."""

    def __init__(self, cap: int, forcible: bool) -> None:
        self.cap = cap
        self.forcible = forcible
        self.size = 1000
        self.calls: list[int] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.calls.append(option)
        if option == socket.SO_RCVBUF:
            self.size = 2 * min(value, self.cap)
        elif option == SO_RCVBUFFORCE:
            if not self.forcible:
                raise PermissionError("CAP_NET_ADMIN needed")
            self.size = 2 * value

    def getsockopt(self, level: int, option: int) -> int:
        assert option == socket.SO_RCVBUF
        return self.size


def test_a_buffer_within_the_kernels_cap_is_set_with_so_rcvbuf_alone() -> None:
    sock = CappedSocket(cap=1 << 22, forcible=True)
    assert receive_buffer(sock, 1 << 20) == 2 << 20
    assert sock.calls == [socket.SO_RCVBUF]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_RCVBUFFORCE is Linux's")
def test_past_the_kernels_cap_the_buffer_is_forced_when_the_process_may() -> None:
    sock = CappedSocket(cap=1 << 18, forcible=True)
    assert receive_buffer(sock, 1 << 22) == 2 << 22
    assert sock.calls == [socket.SO_RCVBUF, SO_RCVBUFFORCE]


def test_without_the_right_to_force_the_capped_size_is_what_is_reported() -> None:
    sock = CappedSocket(cap=1 << 18, forcible=False)
    assert receive_buffer(sock, 1 << 22) == 2 << 18


async def test_the_udp_socket_gets_the_buffer_asked_for_and_the_listening_event_says_so() -> None:
    async with endpoint(udp_receive_buffer=1 << 20) as server:
        obtained = server.transport.udp_receive_buffer
        assert obtained >= 1 << 20  # we run as root here: forced past rmem_max if need be
        [listening] = [e for e in server.events.events if e.kind is EventKind.LISTENING]
        assert f"udp_receive_buffer {obtained}" in listening.detail
        assert server.transport.udp_backlog is not None
        assert server.transport.udp_backlog.capacity == obtained


async def test_with_no_buffer_asked_the_kernels_default_is_kept_and_reported() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
        default = buffer_size(plain)
    async with endpoint(udp_receive_buffer=None) as server:
        assert server.transport.udp_receive_buffer == default


@pytest.mark.parametrize(
    ("host", "spelled", "ip"),
    [
        (LOOPBACK, LOOPBACK, True),
        ("[::1]", "::1", True),
        ("0:0:0:0:0:0:0:1", "::1", True),
        ("[2001:DB8::0001]", "2001:db8::1", True),
        ("01.2.3.4", "01.2.3.4", False),  # leading zeros: not an address, a name
        ("PBX.Example.COM", "pbx.example.com", False),
        ("[pbx.example.com]", "pbx.example.com", False),
    ],
)
def test_hosts_are_spelled_as_sockets_spell_them(host: str, spelled: str, ip: bool) -> None:
    for _ in range(2):  # the second read comes from the cache, the same
        assert (normal_host(host), is_ip(host)) == (spelled, ip)
