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


# The reason phrases of RFC 3261 §21 and of the extensions the UA cores use (RFC 4028 422,
# RFC 3262 420/421, RFC 3329 494, RFC 6665 489): the phrase of a response when none is given.
REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",
    200: "OK",
    202: "Accepted",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}


def reason_phrase(status: int) -> str:
    """The standard phrase of ``status`` (``Unknown`` for a status not in the table)."""
    return REASON_PHRASES.get(status, "Unknown")


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
    """A response with the To tag ``local_tag`` (when the request had none) and ``reason``, by
    default the standard phrase (:data:`REASON_PHRASES`); a 101-299 to a
    dialog-creating or target-refresh request also carries our ``contact`` and the request's
    Record-Route values (§12.1.1)."""
    response = make_response(request, status, reason or reason_phrase(status), local_tag)
    if 100 < status < 300:
        for value in request.headers.get_all("Record-Route"):
            response.headers.add("Record-Route", value)
        if contact is not None:
            response.headers.add("Contact", contact)
    if content_type is not None:
        response.headers.add("Content-Type", content_type)
    response.body = body
    return response
