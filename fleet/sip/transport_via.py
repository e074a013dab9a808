"""The Via work of the transport: stamping ``received``/``rport`` on requests received (RFC 3261
§18.2.1, RFC 3581 §4), choosing where a response goes (RFC 3261 §18.2.2, RFC 3581 §4), filling
the sent-by and transport of a request sent (RFC 3261 §18.1.1), and the stateless error response
to a request the stack refuses — also when the request could only partly be read."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import re

from fleet.sip.errors import SipParseError
from fleet.sip.headers import Headers, canonical_name
from fleet.sip.message import Request, Response, find_head_end
from fleet.sip.syntax import Params
from fleet.sip.transport_types import DEFAULT_PORTS, UDP, Peer, Transport
from fleet.sip.values import Via, parse_cseq, parse_name_addr, parse_via, split_list

ROUTING_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")
_HOSTS_CACHED = 4096
_SENT_PROTOCOL = re.compile(r"\s*SIP\s*/\s*2\.0\s*/\s*([^\s/;]+)\s*(.*)", re.DOTALL | re.IGNORECASE)


@functools.lru_cache(maxsize=_HOSTS_CACHED)
def _read_host(host: str) -> tuple[str, bool]:
    """The socket spelling of ``host`` and whether it is an IP address. Cached: a node talks to
    few peers, and every message would otherwise parse the same addresses several times."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(bare).compressed, True
    except ValueError:
        return bare.lower(), False


def normal_host(host: str) -> str:
    """A host as sockets spell it: IPv6 without brackets and compressed, names lower-cased."""
    return _read_host(host)[0]


def is_ip(host: str) -> bool:
    return _read_host(host)[1]


def via_host(host: str) -> str:
    """A host as Via and URIs spell it: IPv6 in brackets."""
    bare = normal_host(host)
    return f"[{bare}]" if ":" in bare else bare


def _with_param(params: Params, name: str, value: str) -> Params:
    if any(key == name for key, _ in params):
        return tuple((key, value if key == name else old) for key, old in params)
    return (*params, (name, value))


def replace_top_via(message: Request | Response, value: str) -> None:
    """Put ``value`` in place of the first Via value, other values and header order kept (in a
    copy of the headers: a Headers object another message shares is not changed)."""
    headers = message.headers
    line = headers.get("Via")
    replaced = None
    if line is not None:
        rest = split_list(line, "Via")[1:]
        replaced = headers.with_first_line("Via", ", ".join([value, *rest]))
    if replaced is None:
        raise SipParseError("Missing Via header", header="Via")
    message.headers = replaced


def stamp_received(request: Request, source: Peer) -> Via:
    """Add ``received`` to the top Via when its sent-by host is not the packet's source address
    (always when ``rport`` is asked for, RFC 3581 §4), fill an empty ``rport`` with the source
    port; return the top Via as stamped. Raises :class:`SipParseError` for a missing or bad Via."""
    via = request.top_via
    if via is None:
        raise SipParseError("Missing Via header", header="Via")
    params = via.params
    wants_rport = via.param("rport") == ""
    if wants_rport:
        params = _with_param(params, "rport", str(source.port))
    if wants_rport or normal_host(via.host) != normal_host(source.host):
        params = _with_param(params, "received", normal_host(source.host))
    if params is via.params:
        return via
    stamped = dataclasses.replace(via, params=params)
    replace_top_via(request, str(stamped))
    return stamped


def via_transport(via: Via) -> Transport:
    """The transport a Via names; :class:`SipParseError` for one this stack does not speak."""
    try:
        return Transport(via.transport.upper())
    except ValueError:
        raise SipParseError(
            f"Unsupported transport {via.transport!r} in Via", header="Via"
        ) from None


def response_target(via: Via) -> Peer:
    """Where a response goes when not over the connection its request came on: for a reliable
    transport a new connection to ``received`` (else the sent-by host) and the sent-by port; for
    UDP ``maddr``, else ``received`` with ``rport`` (else the sent-by port), else the sent-by."""
    transport = via_transport(via)
    default = DEFAULT_PORTS[transport]
    if transport.reliable:
        return Peer(transport, normal_host(via.received or via.host), via.port or default)
    maddr = via.maddr
    if maddr:
        return Peer(transport, normal_host(maddr), via.port or default)
    received = via.received
    if received:
        return Peer(transport, normal_host(received), via.rport or via.port or default)
    return Peer(transport, normal_host(via.host), via.rport or via.port or default)


def connection_hint(via: Via) -> Peer | None:
    """The connection a request came on, as its stamped Via tells (``received``, ``rport``)."""
    transport = via_transport(via)
    if not transport.reliable or via.rport is None:
        return None
    return Peer(transport, normal_host(via.received or via.host), via.rport)


def set_request_via(request: Request, transport: str, host: str, port: int) -> Via:
    """Write the transport actually used into the top Via, and ``host:port`` as its sent-by when
    the caller left it empty (``SIP/2.0/UDP ;branch=z9hG4bK…``); a sent-by given is kept."""
    lines = request.headers.get_all("Via")
    if not lines:
        raise SipParseError("Missing Via header", header="Via")
    top = split_list(lines[0], "Via")[0]
    match = _SENT_PROTOCOL.fullmatch(top)
    if match is None:
        raise SipParseError("Bad Via header", header="Via")
    rest = match.group(2)
    if not rest or rest.startswith(";"):
        rest = f"{via_host(host)}:{port}{rest}"
    value = f"SIP/2.0/{transport} {rest}"
    via = parse_via(value)
    if value != top:  # as built by our cores it is already: no copy of the headers
        replace_top_via(request, value)
    return via


def routing_error(request: Request) -> SipParseError | None:
    """Why the headers every layer routes on are missing or unreadable, or None."""
    headers = request.headers
    for name in ROUTING_HEADERS:
        if name not in headers:
            return SipParseError(f"Missing {name} header", header=name)
    if not headers.get("Call-ID"):
        return SipParseError("Empty Call-ID header", header="Call-ID")
    try:
        request.via  # noqa: B018
        request.from_  # noqa: B018
        request.to  # noqa: B018
        request.cseq  # noqa: B018
    except SipParseError as exc:
        return exc
    return None


def salvage_headers(data: bytes) -> Headers | None:
    """The routing headers (Via, From, To, Call-ID, CSeq) of a request that failed to parse,
    read line by line, when all are present, the top Via and CSeq are readable and the request
    is not an ACK (never answered); None otherwise (the datagram is dropped)."""
    found = find_head_end(data)
    head = data[: found[0]] if found else data
    lines = head.decode("utf-8", "surrogateescape").replace("\r\n", "\n").split("\n")
    start = lines[0].split()
    if not start or start[0].upper().startswith("SIP/") or start[0] == "ACK":
        return None
    items: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if items:
                name, value = items[-1]
                items[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        name = canonical_name(name.strip())
        if colon and name in ROUTING_HEADERS:
            items.append((name, value.strip()))
    headers = Headers(items)
    if any(headers.count(name) == 0 for name in ROUTING_HEADERS) or not headers.get("Call-ID"):
        return None
    try:
        top = split_list(headers.get_all("Via")[0], "Via")[0]
        parse_via(top)
        cseq = parse_cseq(headers.get("CSeq") or "")
    except SipParseError:
        return None
    return None if cseq.method == "ACK" else headers


def _to_tag(headers: Headers) -> str:
    """The same To tag for every retransmission of a request answered statelessly."""
    seed = f"{headers.get('Call-ID')}|{headers.get_all('Via')[0]}|{headers.get('CSeq')}"
    return hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _has_tag(to: str) -> bool:
    try:
        return parse_name_addr(to, "To").tag is not None
    except SipParseError:
        return ";tag=" in to.replace(" ", "").lower()


def error_response(
    headers: Headers, status: int, reason: str, extra: tuple[tuple[str, str], ...] = ()
) -> Response:
    """A response built from a request's headers (RFC 3261 §8.2.6): its Vias, From, To (a tag
    added when absent), Call-ID and CSeq, then ``extra`` (Allow, Unsupported …)."""
    items: list[tuple[str, str]] = [("Via", value) for value in headers.get_all("Via")]
    to = headers.get("To") or ""
    if not _has_tag(to):
        to = f"{to};tag={_to_tag(headers)}"
    items += [
        ("From", headers.get("From") or ""),
        ("To", to),
        ("Call-ID", headers.get("Call-ID") or ""),
        ("CSeq", headers.get("CSeq") or ""),
        *extra,
    ]
    return Response(status, reason, Headers(items))


class UdpPeers:
    """The :class:`Peer` of a UDP source address, one per address rather than one per datagram
    (every transaction keeps its peer for up to 64*T1); at most ``kept`` addresses are
    remembered, the table emptied when full."""

    __slots__ = ("_kept", "_peers")

    def __init__(self, kept: int = 4096) -> None:
        self._kept = kept
        self._peers: dict[tuple[str, int], Peer] = {}

    def __call__(self, address: tuple[str, int]) -> Peer:
        peers = self._peers
        peer = peers.get(address)
        if peer is None:
            if len(peers) >= self._kept:
                peers.clear()
            peer = peers[address] = Peer(UDP, normal_host(address[0]), int(address[1]))
        return peer
