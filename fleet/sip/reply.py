"""A response built from the request it answers (RFC 3261 §8.2.6), without re-parsing: the
lines copied straight from the request's header index, and the typed values the request has
already parsed (Via, From, CSeq; To when no tag is added) handed on to the response, so that
the transport's read of the response's top Via parses nothing."""

from __future__ import annotations

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response

# (canonical name, index key) of the lines a response copies, in the order it has them
_COPIED = (("Via", "via"), ("From", "from"), ("To", "to"), ("Call-ID", "call-id"), ("CSeq", "cseq"))
# typed values that stay true of the copied lines (``to`` only when no tag was added)
_HANDED_ON = ("via", "top_via", "from", "cseq")


def response_for(request: Request, status: int, reason: str, to_tag: str | None = None) -> Response:
    """What ``transaction_messages.make_response`` builds — Via (all values, in order), From,
    To, Call-ID and CSeq copied, ``;tag=to_tag`` added to To when given and To has no tag,
    Timestamp echoed for a 100 — built from the request's lines directly."""
    index = request.headers._index
    items: list[tuple[str, str]] = []
    copied: dict[str, tuple[str, ...]] = {}
    to_changed = False
    for name, key in _COPIED:
        values = index.get(key)
        if not values:
            continue
        if key == "to" and to_tag is not None:
            values = tuple([_tagged(value, to_tag) for value in values])
            to_changed = values != index[key]
        copied[key] = values
        items.extend([(name, value) for value in values])
    if status == 100:
        stamps = index.get("timestamp")
        if stamps:
            copied["timestamp"] = stamps
            items.extend([("Timestamp", value) for value in stamps])
    headers = Headers._trusted(items, copied)
    kept = request.headers._typed
    if kept:
        typed = headers._typed
        for key in _HANDED_ON:
            if key in kept:
                typed[key] = kept[key]
        if not to_changed and "to" in kept:
            typed["to"] = kept["to"]
    return Response(status, reason, headers)


def _tagged(value: str, tag: str) -> str:
    return value if ";tag=" in value.replace(" ", "") else f"{value};tag={tag}"
