"""Messages the UA cores build outside a dialog: the initial INVITE (RFC 3261 §8.1.1), its
CANCEL (§9.1) and the responses of a UAS that create a dialog (§12.1.1: To tag, Contact,
Record-Route copied)."""

from __future__ import annotations

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.transaction_messages import make_response, same_transaction
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import via_value


def initial_invite(
    uri: str,
    *,
    sent_by: Peer,
    destination: Peer,
    local_party: str,
    contact: str,
    call_id: str,
    branch: str,
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    headers = Headers()
    headers.add("Via", via_value(sent_by, destination, branch))
    headers.add("Max-Forwards", "70")
    headers.add("From", local_party)
    headers.add("To", f"<{uri}>")
    headers.add("Call-ID", call_id)
    headers.add("CSeq", "1 INVITE")
    headers.add("Contact", contact)
    if content_type is not None:
        headers.add("Content-Type", content_type)
    return Request("INVITE", uri, headers, body)


def build_cancel(invite: Request) -> Request:
    """§9.1: the INVITE's Request-URI, Call-ID, To, From, CSeq number (method CANCEL), its top
    Via alone (same branch, so it matches the INVITE's server transaction) and its Routes."""
    return same_transaction(invite, "CANCEL", to=invite.headers.get("To") or "")


REASONS = {
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    400: "Bad Request",
    422: "Session Interval Too Small",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    504: "Server Time-out",
}


def uas_response(
    request: Request,
    status: int,
    *,
    local_tag: str | None,
    contact: str | None = None,
    reason: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """A response with the To tag ``local_tag`` (when the request had none); a 101-299 to a
    dialog-creating or target-refresh request also carries our ``contact`` and the request's
    Record-Route values (§12.1.1)."""
    response = make_response(request, status, reason or REASONS.get(status, "Unknown"), local_tag)
    if 100 < status < 300:
        for value in request.headers.get_all("Record-Route"):
            response.headers.add("Record-Route", value)
        if contact is not None:
            response.headers.add("Contact", contact)
    if content_type is not None:
        response.headers.add("Content-Type", content_type)
    response.body = body
    return response
