"""What a UAS (FleetPBX is a UAS / B2BUA, not a proxy) does with a message it received, before
any transaction or dialog sees it: accept it, answer it with an error response, or drop it.

The checks and their order follow RFC 3261 §8.2 and the outcomes RFC 4475 §3 prescribes:

1. syntax — the start line, the header section, framing (400; 505 for another SIP version);
   the mandatory headers present once (To, From, Call-ID, CSeq, Via) and every header the stack
   reads well-formed (400, the reason names the header);
2. the method — a method no RFC defines gets **501 Not Implemented**, a standard method this UAS
   does not serve gets **405 Method Not Allowed**; both carry ``Allow`` (RFC 3261 §8.2.1, §21.5.2;
   RFC 4475 ``mismatch02`` prefers 501 to 400, so the method is checked before the CSeq method);
3. the CSeq method equals the request method (400), the Request-URI scheme is served (416) and
   carries no headers (400: RFC 3261 §19.1.1 forbids them there; RFC 4475 ``escruri`` lets us
   choose and we refuse);
4. ``Max-Forwards: 0`` → 483, except OPTIONS, which the UAS answers itself (RFC 3261 §11);
5. ``Require`` naming an extension not supported → 420 with ``Unsupported`` (not for ACK and
   CANCEL, RFC 3261 §8.2.2.3; ``Proxy-Require`` is for proxies and ignored);
6. a REGISTER whose To is not a SIP or SIPS URI → 400 (RFC 4475 ``unksm2``);
7. a body of a type not accepted → 415 with ``Accept``; a body without Content-Type → 400;
8. an INVITE whose ``Accept`` admits no type the UAS answers with (SDP) → 406 (RFC 4475 ``sdp01``).

The syntax of the values is checked on the raw text first (:mod:`fleet.sip.fast_syntax`: one
precompiled regular expression per header, no typed value built; the stack builds those when it
reads them); a value outside that common subset sends the message through the full parsers, in
the order above, so the outcome and the header named are the same either way.

Responses are dropped when malformed (RFC 4475 ``scalarlg``, ``bigcode``) or when they carry more
than one Via value, which a UAC discards (RFC 3261 §8.1.3.3; RFC 4475 ``bcast``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip import fast_syntax
from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response, parse_message
from fleet.sip.uri import UriError
from fleet.sip.values import covers

# Methods defined by an RFC (IANA registry); others are unknown → 501.
KNOWN_METHODS = frozenset(
    [
        "ACK",
        "BYE",
        "CANCEL",
        "INFO",
        "INVITE",
        "MESSAGE",
        "NOTIFY",
        "OPTIONS",
        "PRACK",
        "PUBLISH",
        "REFER",
        "REGISTER",
        "SUBSCRIBE",
        "UPDATE",
    ]
)
_NO_REQUIRE_CHECK = frozenset({"ACK", "CANCEL"})
_SINGLE_HEADERS = tuple(
    (name, name.lower())
    for name in ("To", "From", "Call-ID", "CSeq", "Max-Forwards", "Content-Type")
)
_MANDATORY_HEADERS = tuple(
    (name, name.lower()) for name in ("To", "From", "Call-ID", "CSeq", "Via")
)


@dataclass(frozen=True, slots=True)
class UasPolicy:
    """What this UAS serves. A value, not a global: each listener is given its own."""

    methods: frozenset[str] = frozenset(
        {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "PRACK", "UPDATE", "INFO"}
    )
    extensions: frozenset[str] = frozenset({"100rel", "timer"})
    content_types: frozenset[str] = frozenset({"application/sdp"})
    answer_types: frozenset[str] = frozenset({"application/sdp"})
    uri_schemes: frozenset[str] = frozenset({"sip", "sips", "tel"})

    def allow_header(self) -> str:
        return ", ".join(sorted(self.methods))


@dataclass(frozen=True, slots=True)
class Accept:
    """The message goes on to the transaction layer."""

    message: Request | Response


@dataclass(frozen=True, slots=True)
class Reject:
    """The request is answered with ``status`` (and these extra headers), statelessly."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()
    request: Request | None = field(default=None, compare=False)
    detail: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Drop:
    """The message is discarded without an answer (a malformed or misdirected response)."""

    why: str


Outcome = Accept | Reject | Drop


def check_datagram(data: bytes, policy: UasPolicy) -> Outcome:
    """Parse one datagram and validate it."""
    try:
        message = parse_message(data)
    except SipParseError as exc:
        if exc.is_response:
            return Drop(str(exc))
        return Reject(exc.status, exc.reason, detail=str(exc))
    if isinstance(message, Response):
        return check_response(message)
    return check_request(message, policy)


def check_response(response: Response, *, fast_path: bool = True) -> Outcome:
    """Accept or drop a response. ``fast_path=False`` parses every value with the full parsers
    (the reference the fast path is tested against; the outcome is the same)."""
    try:
        _check_presence(response)
        if not fast_path or fast_syntax.message_facts(response) is None:
            _check_values(response)
    except SipParseError as exc:
        return Drop(str(exc))
    if len(response.headers.values("Via")) != 1:
        return Drop("a response to a UAC carries exactly one Via (RFC 3261 §8.1.3.3)")
    return Accept(response)


def check_request(request: Request, policy: UasPolicy, *, fast_path: bool = True) -> Outcome:
    """Accept a request or say how to refuse it. ``fast_path=False`` parses every value with the
    full parsers (the reference the fast path is tested against; the outcome is the same)."""
    try:
        return _check_request(request, policy, fast_path)
    except SipParseError as exc:
        return Reject(exc.status, exc.reason, request=request, detail=str(exc))


def _check_presence(message: Request | Response) -> None:
    index = message.headers._index
    for name, key in _MANDATORY_HEADERS:
        if key not in index:
            raise SipParseError(f"Missing {name} header", header=name)
    for name, key in _SINGLE_HEADERS:
        lines = index.get(key)
        if lines is not None and len(lines) > 1:
            raise SipParseError(f"More than one {name} header", header=name)
    if not index["call-id"][0]:
        raise SipParseError("Empty Call-ID header", header="Call-ID")


def _check_values(message: Request | Response) -> None:
    """Every value the stack reads parsed by the full parsers (and kept), so that later layers
    meet no syntax error; the first malformed one raises."""
    message.via  # noqa: B018
    message.to  # noqa: B018
    message.from_  # noqa: B018
    message.cseq  # noqa: B018
    message.max_forwards  # noqa: B018
    message.content_type  # noqa: B018
    message.contacts  # noqa: B018
    message.record_routes  # noqa: B018
    message.require  # noqa: B018
    message.supported  # noqa: B018


def _full_facts(request: Request) -> fast_syntax.RequestFacts | Reject:
    _check_values(request)
    request.routes  # noqa: B018
    try:
        uri = request.uri
    except UriError as exc:
        return Reject(400, "Bad Request-URI", request=request, detail=exc.reason)
    cseq = request.cseq
    method = "" if cseq is None else cseq.method
    return fast_syntax.RequestFacts(method, request.max_forwards, uri.scheme, bool(uri.headers))


def _check_request(request: Request, policy: UasPolicy, fast_path: bool) -> Outcome:
    _check_presence(request)
    facts = fast_syntax.request_facts(request) if fast_path else None
    if facts is None:
        found = _full_facts(request)
        if isinstance(found, Reject):
            return found
        facts = found
    method = request.method
    if method not in policy.methods:
        allow = (("Allow", policy.allow_header()),)
        if method in KNOWN_METHODS:
            return Reject(405, "Method Not Allowed", allow, request=request)
        return Reject(501, "Not Implemented", allow, request=request)
    if facts.cseq_method != method:
        return Reject(400, "CSeq method does not match the Request-Line", request=request)
    if facts.scheme not in policy.uri_schemes:
        return Reject(416, "Unsupported URI Scheme", request=request)
    if facts.uri_headers:
        return Reject(400, "Headers in the Request-URI", request=request)
    if facts.max_forwards == 0 and method != "OPTIONS":
        return Reject(483, "Too Many Hops", request=request)
    if method not in _NO_REQUIRE_CHECK and "require" in request.headers._index:
        unsupported = [tag for tag in request.require if tag not in policy.extensions]
        if unsupported:
            return Reject(
                420, "Bad Extension", (("Unsupported", ", ".join(unsupported)),), request=request
            )
    if method == "REGISTER":
        to = request.to
        if to is None or not to.uri.is_sip:
            return Reject(400, "To of a REGISTER must be a SIP or SIPS URI", request=request)
    if request.body:
        mime = fast_syntax.mime(request)
        if mime is None:
            return Reject(400, "Missing Content-Type header for the body", request=request)
        if mime not in policy.content_types:
            accept = (("Accept", ", ".join(sorted(policy.content_types))),)
            return Reject(415, "Unsupported Media Type", accept, request=request)
    if method == "INVITE" and "accept" in request.headers._index:
        ranges = fast_syntax.accept_ranges(request)
        if ranges and not _admits(ranges, policy.answer_types):
            return Reject(406, "Not Acceptable", request=request)
    return Accept(request)


def _admits(ranges: list[tuple[str, str]], answer_types: frozenset[str]) -> bool:
    """Some Accept range covers some type the UAS answers with."""
    for kind, sub in ranges:
        for answer in answer_types:
            if covers(kind, sub, answer):
                return True
    return False
