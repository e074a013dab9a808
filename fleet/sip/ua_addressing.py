"""Where a UA sends a request and how it names itself: the peer of a URI (RFC 3263 reduced to
what needs no DNS: an IP or host with its port and ``transport`` parameter), the Via it puts
on top, its Contact and a fresh Call-ID."""

from __future__ import annotations

import secrets

from fleet.sip.transport_types import DEFAULT_PORTS, TLS, UDP, Peer, Transport
from fleet.sip.uri import Uri


def peer_for(uri: Uri) -> Peer:
    """The next hop of a SIP URI: ``sips`` goes over TLS, else the ``transport`` parameter
    (UDP by default); the port defaults to 5060 (5061 for TLS)."""
    if uri.scheme == "sips":
        transport = TLS
    else:
        named = (uri.param("transport") or "udp").upper()
        transport = Transport(named) if named in Transport.__members__ else UDP
    port = uri.port if uri.port is not None else DEFAULT_PORTS[transport]
    return Peer(transport, uri.host.strip("[]"), port)


def via_value(sent_by: Peer, destination: Peer, branch: str) -> str:
    """The Via a UA puts on a request it originates (RFC 3261 §8.1.1.7), ``rport`` asked."""
    host = f"[{sent_by.host}]" if ":" in sent_by.host else sent_by.host
    return f"SIP/2.0/{destination.transport} {host}:{sent_by.port};branch={branch};rport"


def contact_value(user: str, address: Peer) -> str:
    host = f"[{address.host}]" if ":" in address.host else address.host
    suffix = "" if address.transport is UDP else f";transport={address.transport.lower()}"
    return f"<sip:{user}@{host}:{address.port}{suffix}>"


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(10)}@{host}"
