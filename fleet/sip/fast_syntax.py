"""Syntax checks of the header values a UAS validates, on the raw text, without building the
typed values (those are built when the stack reads them).

Each check is one precompiled regular expression matching a *subset* of what the full parsers of
:mod:`fleet.sip.values` and :mod:`fleet.sip.uri` accept: a value it matches is one they parse
without error (tests compare the two on the RFC 4475 and IMS corpora). A value outside the subset
(odd whitespace, a bare addr-spec other than a plain SIP URI, a port above 59999, escapes in
quoted strings, parameters on a Content-Type, URI headers …) makes the check answer
None, and :mod:`fleet.sip.validate` then takes the full parsers, which raise the error a UAS
answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from fleet.sip.message import Message, Request

# No comma anywhere in a value of the subset (nor in its quoted strings or URIs): the commas of
# a line are then the list separators, and splitting the line gives exactly the matched values.
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]++"  # possessive: a token is never given back
_VALUE = r"(?:[A-Za-z0-9\-.!%*_+`'~\[\]:]+|\"[^\"\\;,]*\")"
_PARAM = rf"(?:;{_TOKEN}(?:={_VALUE})?)"
_PORT_NUMBER = r"(?:[0-9]{1,4}|[0-5][0-9]{4})"  # at most 59999: no range check needed
_PORT = rf"(?::{_PORT_NUMBER})?"
_IPV6 = r"\[[0-9a-fA-F.]*+:[0-9a-fA-F.:]*+\]"
_URI_PARAMS = r"(?:;[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]/:&+$=]*)?)*"
# user and password characters (RFC 3261 §25.1 unreserved, escaped, user-unreserved): ASCII
# classes, looked up in a table (a class naming \s tests a Unicode category per character)
_USER = r"[A-Za-z0-9\-_.!~*'()%&=+$;?/]"
_PASSWORD = r"[A-Za-z0-9\-_.!~*'()%&=+$]"
_SIP_URI = (
    rf"[sS][iI][pP][sS]?:(?:{_USER}++(?::{_PASSWORD}*+)?@)?(?:[A-Za-z0-9.-]++|{_IPV6})"
    + _PORT
    + _URI_PARAMS
)
_OTHER_URI = (
    r"(?![sS][iI][pP][sS]?:)[A-Za-z][A-Za-z0-9+.-]*+:[A-Za-z0-9\-_.!~*'()%&=+$;?/:@#\[\]]++"
)
# display name: quoted, or tokens one space apart (SIPp's ``sipp <sip:…>``)
_DISPLAY = rf"(?:\"[^\"\\,]*\" *|{_TOKEN}(?: {_TOKEN})*+ *)"
# a bare SIP addr-spec (SIPp's ``Contact: sip:sipp@…``): no ``;`` ``?`` ``,`` in it, so the
# parameters after it are the header's, as the full parser reads them
_BARE_USER = r"[A-Za-z0-9\-_.!~*'()%&=+$]"
_BARE_SIP = (
    rf"[sS][iI][pP][sS]?:(?:{_BARE_USER}++(?::{_PASSWORD}*+)?@)?(?:[A-Za-z0-9.-]++|{_IPV6}){_PORT}"
)
_NAME_ADDR = rf"(?:{_DISPLAY}?<(?:{_SIP_URI}|{_OTHER_URI})>|{_BARE_SIP}){_PARAM}*"
# Via parameters the full parser checks further: ``branch`` with a value, ``rport`` with a port
# number or none, ``ttl`` with at most 255.
_TTL = r"(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])"
_VIA_PARAM = (
    rf"(?:;(?:(?i:branch)={_VALUE}|(?i:rport)(?:={_PORT_NUMBER})?(?=;|,|\Z)|(?i:ttl)={_TTL}(?=;|,|\Z)"
    rf"|(?!(?i:ttl|rport|branch)(?![A-Za-z0-9\-.!%*_+`'~])){_TOKEN}(?:={_VALUE})?))"
)
_VIA = rf"{_TOKEN}/{_TOKEN}/{_TOKEN} (?:{_TOKEN}|{_IPV6}){_PORT}{_VIA_PARAM}*"
_SEP = r"[ \t]*,[ \t]*"

_VIA_LINE = re.compile(rf"{_VIA}(?:{_SEP}{_VIA})*")
_NAME_ADDR_LINE = re.compile(rf"{_NAME_ADDR}(?:{_SEP}{_NAME_ADDR})*")
_ONE_NAME_ADDR = re.compile(_NAME_ADDR)
_TOKEN_LIST_LINE = re.compile(rf"(?:{_TOKEN}(?:{_SEP}{_TOKEN})*)?")
_CSEQ = re.compile(rf"[0-9]{{1,9}}[ \t]+({_TOKEN})")  # at most 999999999 < 2**31-1
_MAX_FORWARDS = re.compile(r"[0-9]{1,3}")
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")
_MEDIA_LIST_LINE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:{_SEP}{_TOKEN}/{_TOKEN})*")
_REQUEST_URI = re.compile(rf"{_SIP_URI}|{_OTHER_URI}")


class Facts(NamedTuple):
    """What validation reads of a message whose values passed the checks."""

    cseq_method: str
    max_forwards: int | None


class RequestFacts(NamedTuple):
    cseq_method: str
    max_forwards: int | None
    scheme: str  # of the Request-URI, lower-cased
    uri_headers: bool  # the Request-URI carries headers (never on the fast path)


# the list headers checked, each line against its pattern (the Contact wildcard ``*`` included)
_LIST_CHECKS = (
    ("via", _VIA_LINE.fullmatch),
    ("contact", re.compile(rf"\*|{_NAME_ADDR_LINE.pattern}").fullmatch),
    ("record-route", _NAME_ADDR_LINE.fullmatch),
    ("require", _TOKEN_LIST_LINE.fullmatch),
    ("supported", _TOKEN_LIST_LINE.fullmatch),
)
_REQUEST_LIST_CHECKS = (*_LIST_CHECKS, ("route", _NAME_ADDR_LINE.fullmatch))


def _all(pattern: re.Pattern[str], lines: tuple[str, ...] | None) -> bool:
    return lines is None or None not in map(pattern.fullmatch, lines)


def _header_facts(
    index: dict[str, tuple[str, ...]], checks: tuple[tuple[str, Callable[[str], object]], ...]
) -> tuple[str, int | None] | None:
    """(CSeq method, Max-Forwards) when every value checked is in the subset (To, From, CSeq and
    Via present, the single ones once: checked before), None to take the full parsers."""
    get = index.get
    for key, match in checks:
        lines = get(key)
        if lines is not None and None in map(match, lines):
            return None
    one = _ONE_NAME_ADDR.fullmatch
    if one(index["to"][0]) is None or one(index["from"][0]) is None:
        return None
    cseq = _CSEQ.fullmatch(index["cseq"][0])
    if cseq is None:
        return None
    max_forwards: int | None = None
    lines = get("max-forwards")
    if lines is not None:
        text = lines[0]
        if _MAX_FORWARDS.fullmatch(text) is None or int(text) > 255:
            return None
        max_forwards = int(text)
    lines = get("content-type")
    if lines is not None and _MEDIA_TYPE.fullmatch(lines[0]) is None:
        return None
    return cseq.group(1), max_forwards


def message_facts(message: Message) -> Facts | None:
    """The facts of a message whose every value validation checks is in the subset; None to
    take the full parsers."""
    found = _header_facts(message.headers._index, _LIST_CHECKS)
    return None if found is None else Facts(*found)


def request_facts(request: Request) -> RequestFacts | None:
    """:func:`message_facts` and, for a request, the Route values and the Request-URI."""
    uri = request.request_uri
    if _REQUEST_URI.fullmatch(uri) is None:
        return None
    found = _header_facts(request.headers._index, _REQUEST_LIST_CHECKS)
    if found is None:
        return None
    return RequestFacts(found[0], found[1], uri.partition(":")[0].lower(), False)


def mime(message: Message) -> str | None:
    """``type/subtype`` of the Content-Type, lower-cased (None without one)."""
    lines = message.headers._index.get("content-type")
    if lines is None:
        return None
    if _MEDIA_TYPE.fullmatch(lines[0]) is not None:
        return lines[0].lower()
    content_type = message.content_type
    return None if content_type is None else content_type.mime


def accept_ranges(message: Message) -> list[tuple[str, str]]:
    """The Accept ranges as ``(type, subtype)``, lower-cased (empty values skipped)."""
    lines = message.headers._index.get("accept", ())
    if len(lines) == 1 and _MEDIA_TYPE.fullmatch(lines[0]) is not None:
        kind, _, sub = lines[0].lower().partition("/")
        return [(kind, sub)]
    if _all(_MEDIA_LIST_LINE, lines):
        ranges: list[tuple[str, str]] = []
        for line in lines:
            for item in line.split(","):
                kind, _, sub = item.strip().lower().partition("/")
                ranges.append((kind, sub))
        return ranges
    return [(r.type, r.subtype) for r in message.accept]
