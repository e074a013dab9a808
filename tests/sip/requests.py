"""Requests for the transaction tests, written for them."""

from __future__ import annotations

from fleet.sip.headers import Headers
from fleet.sip.message import Request
from fleet.sip.transaction_messages import new_branch


def request(
    method: str = "INVITE",
    *,
    branch: str | None = None,
    sent_by: str = "192.0.2.1:5060",
    cseq: int = 1,
    cseq_method: str | None = None,
    to_tag: str | None = None,
    from_tag: str = "alice",
    call_id: str = "call-1@192.0.2.1",
    uri: str = "sip:bob@192.0.2.2",
) -> Request:
    headers = Headers()
    headers.add("Via", f"SIP/2.0/UDP {sent_by};branch={branch or new_branch()}")
    headers.add("Via", "SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK-proxy")
    headers.add("Route", "<sip:edge.example.net;lr>")
    headers.add("Max-Forwards", "70")
    headers.add("From", f"<sip:alice@192.0.2.1>;tag={from_tag}")
    to = "<sip:bob@192.0.2.2>" + (f";tag={to_tag}" if to_tag else "")
    headers.add("To", to)
    headers.add("Call-ID", call_id)
    headers.add("CSeq", f"{cseq} {cseq_method or method}")
    return Request(method, uri, headers)
