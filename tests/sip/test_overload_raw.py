"""Overload control from the datagram's bytes (fleet.sip.overload_raw): while shedding, a new
INVITE is refused 503 with Retry-After before it is parsed — the 503 built from its Via, From,
To, Call-ID and CSeq lines, its top Via stamped, sent where RFC 3581 says — and its ACK
absorbed; a retransmission of an admitted INVITE, an in-dialog request, anything folded or
incomplete goes on to the parsed path; an INVITE admitted here is not judged again there. The
load read from fakes."""

from __future__ import annotations

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.overload import Admit, Limits, OverloadGuard
from fleet.sip.overload_raw import RawShedder
from fleet.sip.overload_stateless import SHED_TAG, StatelessShedder, is_shed_tag
from fleet.sip.overload_throttle import Throttle, ThrottleConfig
from fleet.sip.transaction_layer import ServerKey
from fleet.sip.transport_types import UDP, Peer
from tests.sip.requests import request

PHONE = Peer(UDP, "203.0.113.7", 40000)


class Net:
    def __init__(self, *, lag: float = 0.0) -> None:
        self.lag = lag
        self.known: set[ServerKey] = set()
        self.datagrams: list[tuple[bytes, tuple[str, int]]] = []
        self.guard = OverloadGuard(Limits(max_lag=0.5, retry_after=9), lambda: 0, self._lag)
        self.shedder = StatelessShedder(self.guard, lambda r: False, self._send)
        self.raw = RawShedder(self.shedder, self.known.__contains__, self._sendto)

    def _lag(self) -> float:
        return self.lag

    def _send(self, message: Request | Response, peer: Peer) -> None:
        self.datagrams.append((serialize(message), (peer.host, peer.port)))

    def _sendto(self, data: bytes, address: tuple[str, int]) -> None:
        self.datagrams.append((data, address))

    def responses(self) -> list[tuple[Response, tuple[str, int]]]:
        out = []
        for data, address in self.datagrams:
            response = parse_message(data)
            assert isinstance(response, Response)
            out.append((response, address))
        return out


def shedding(net: Net) -> None:
    net.lag = 2.0
    net.guard.admit(invite("trip"))
    assert net.guard.shedding


def invite(call: str) -> Request:
    return request("INVITE", call_id=call, from_tag=f"tag-{call}", branch=f"z9hG4bK-{call}")


def wire(message: Request) -> bytes:
    return serialize(message)


def test_a_new_invite_while_shedding_gets_a_503_built_from_its_bytes_unparsed() -> None:
    net = Net()
    shedding(net)
    message = invite("c1")
    message.headers.set("Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-c1;rport")
    message.headers.add("Via", "SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK-proxy")
    assert net.raw.handled(wire(message), PHONE)
    ((response, address),) = net.responses()
    assert address == ("203.0.113.7", 40000)  # rport: the source port (RFC 3581)
    assert response.status == 503 and response.headers.get("Retry-After") == "9"
    assert response.to is not None and is_shed_tag(response.to.tag)
    assert response.call_id == "c1" and str(response.cseq) == str(message.cseq)
    assert response.headers.get("From") == message.headers.get("From")
    vias = response.headers.values("Via")
    assert vias == [
        "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-c1;rport=40000;received=203.0.113.7",
        "SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK-proxy",
    ]
    assert net.guard.stateless == 1 and net.raw.refused == 1


def test_without_rport_the_503_goes_to_the_source_address_at_the_sent_by_port() -> None:
    net = Net()
    shedding(net)
    message = invite("c2")
    message.headers.set("Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-c2")
    assert net.raw.handled(wire(message), PHONE)
    ((response, address),) = net.responses()
    assert address == ("203.0.113.7", 5070)
    assert response.headers.values("Via")[0].endswith(";received=203.0.113.7")


def test_compact_header_names_are_read_too() -> None:
    net = Net()
    shedding(net)
    data = (
        b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
        b"v: SIP/2.0/UDP 203.0.113.7:40000;branch=z9hG4bK-compact\r\n"
        b"f: <sip:alice@192.0.2.1>;tag=a\r\nt: <sip:bob@192.0.2.2>\r\ni: compact-1\r\n"
        b"CSeq: 4 INVITE\r\nMax-Forwards: 70\r\nl: 0\r\n\r\n"
    )
    assert net.raw.handled(data, PHONE)
    ((response, address),) = net.responses()
    assert response.call_id == "compact-1" and address == ("203.0.113.7", 40000)
    assert response.headers.values("Via") == [
        "SIP/2.0/UDP 203.0.113.7:40000;branch=z9hG4bK-compact"
    ]


def test_what_is_not_surely_a_new_call_goes_on_to_the_parsed_path() -> None:
    net = Net()
    shedding(net)
    admitted = invite("known")
    net.known.add(("rfc3261", "z9hG4bK-known", "192.0.2.1", 5060, "INVITE"))
    folded = wire(invite("folded")).replace(b"\r\nCall-ID:", b"\r\n Call-ID:")
    old_branch = invite("old")
    old_branch.headers.set("Via", "SIP/2.0/UDP 192.0.2.1;branch=1234")
    others = [
        wire(admitted),  # a retransmission of an INVITE admitted before
        wire(request("INVITE", to_tag="b", branch="z9hG4bK-re")),  # a re-INVITE
        wire(request("BYE", to_tag="b", branch="z9hG4bK-bye")),
        wire(request("CANCEL", branch="z9hG4bK-cancel")),
        wire(request("OPTIONS", branch="z9hG4bK-options")),
        folded,
        wire(old_branch),
        wire(invite("nocseq")).replace(b"CSeq: 1 INVITE\r\n", b""),
    ]
    for data in others:
        assert not net.raw.handled(data, PHONE)
    assert net.datagrams == [] and net.guard.stateless == 0


def test_the_ack_of_a_shed_invite_is_absorbed_on_its_bytes() -> None:
    net = Net()
    shedding(net)
    ack = request("ACK", to_tag=SHED_TAG, branch="z9hG4bK-c1")
    assert net.raw.handled(wire(ack), PHONE)
    assert net.shedder.absorbed == 1
    other = request("ACK", to_tag="b", branch="z9hG4bK-c2")
    assert not net.raw.handled(wire(other), PHONE)


def test_the_ack_of_one_of_the_last_503s_is_absorbed_on_its_bytes_once_shedding_is_over() -> None:
    net = Net()
    assert not net.guard.shedding
    ack = request("ACK", to_tag=SHED_TAG, branch="z9hG4bK-late")
    assert net.raw.handled(wire(ack), PHONE)
    assert net.shedder.absorbed == 1 and net.datagrams == []


def test_while_not_shedding_nothing_is_judged_from_the_bytes() -> None:
    net = Net()
    assert not net.raw.handled(wire(invite("c1")), PHONE)
    assert net.datagrams == [] and net.guard.shed == 0


def test_an_invite_the_throttle_admits_from_its_bytes_is_not_judged_again() -> None:
    net = Net()
    gate = Throttle(ThrottleConfig(target_lag=0.05), lambda: 0.1)
    net.guard.use_throttle(gate)
    gate.sample()  # twice the target: every second new INVITE admitted
    passed = []
    for n in range(6):
        data = wire(invite(f"t{n}"))
        if net.raw.handled(data, PHONE):
            continue
        message = parse_message(data)
        assert isinstance(message, Request)
        assert not net.shedder.handled(message, PHONE)
        assert isinstance(net.guard.admit(message), Admit)
        passed.append(message.call_id)
    assert passed == ["t1", "t3", "t5"]
    assert gate.throttled == 3 and net.raw.refused == 3
    assert net.guard.shed == 3  # the admitted ones were not judged a second time
