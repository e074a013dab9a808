"""Messages the transaction layer and its TU build from a request: branch ids, responses
(RFC 3261 §8.2.6) and the ACK of a non-2xx final response (§17.1.1.3)."""

from __future__ import annotations

import secrets

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.reply import response_for
from fleet.sip.values import MAGIC_COOKIE


def new_branch() -> str:
    """A branch unique in space and time, with the RFC 3261 magic cookie (§8.1.1.7)."""
    return MAGIC_COOKIE + secrets.token_hex(10)


def new_tag() -> str:
    return secrets.token_hex(6)


def make_response(
    request: Request, status: int, reason: str, to_tag: str | None = None
) -> Response:
    """A response with Via (all values, in order), From, To, Call-ID and CSeq copied, a tag
    added to To when given and absent (RFC 3261 §8.2.6.2), and Timestamp echoed for 100; the
    typed values the request has parsed are handed on (:func:`fleet.sip.reply.response_for`)."""
    return response_for(request, status, reason, to_tag)


def make_trying(request: Request) -> Response:
    return make_response(request, 100, "Trying")


def build_ack(invite: Request, response: Response) -> Request:
    """The ACK a client transaction sends for a 300-699 response (RFC 3261 §17.1.1.3): the
    INVITE's Request-URI, Call-ID, From and top Via (alone), the response's To, the INVITE's CSeq
    number with method ACK, its Route headers."""
    return same_transaction(invite, "ACK", to=response.headers.get("To") or "")


def same_transaction(invite: Request, method: str, *, to: str) -> Request:
    """A request that belongs with ``invite``'s transaction (its ACK for a non-2xx, its CANCEL,
    RFC 3261 §17.1.1.3 and §9.1): the INVITE's Request-URI, top Via alone (the same branch),
    Routes, From, Call-ID and CSeq number, with ``method`` and the To given."""
    headers = Headers()
    headers.add("Via", invite.headers.values("Via")[0])
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", to)
    headers.add("Call-ID", invite.call_id or "")
    cseq = invite.cseq
    headers.add("CSeq", f"{0 if cseq is None else cseq.number} {method}")
    return Request(method, invite.request_uri, headers)
