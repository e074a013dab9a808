"""The cheapest refusal of overload control: while shedding, a new INVITE arriving by UDP is
judged and refused **from its bytes**, before the message is parsed.

:class:`fleet.sip.overload_stateless.StatelessShedder` refuses a new INVITE once the transport
has parsed it (every header, the body) and stamped its Via. Under a flood most of that work is
for a request that only gets a 503. :class:`RawShedder` looks at the datagram first
(``Inbound.raw_screen``): the request line, then only the lines a stateless 503 copies — Via,
From, To, Call-ID, CSeq (long or compact names) — cut out of the head without parsing their
values, the top Via's alone parsed (its branch and sent-by match the INVITE to a live
transaction: a retransmission of an admitted INVITE goes on to it). A new INVITE (a To without
tag, CSeq method INVITE, an RFC 3261 branch) that the guard refuses gets the 503 with
``Retry-After`` and the shed To tag built as bytes, sent back by UDP as RFC 3261 §18.2.2 and
RFC 3581 say (to the source address, at the ``rport`` source port or the sent-by port); its
ACK (the shed tag in the datagram) is dropped on that byte check, also once the shedding is
over (the ACK of one of the last 503s). Anything it is unsure of — a
folded or repeated line, a missing one, a To with a tag, an old-style branch, an IPv6 sent-by —
goes on to the parsed path, which judges it as before. When the guard admits a new INVITE here,
the parsed path and the layer do not judge it again (one judgement per INVITE: the throttle's
share stays exact)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fleet.sip.errors import SipParseError
from fleet.sip.overload_stateless import SHED_TAG, StatelessShedder
from fleet.sip.transport_types import Peer
from fleet.sip.values import parse_via

log = logging.getLogger(__name__)

_NAMES = {
    b"via": b"Via",
    b"v": b"Via",
    b"from": b"From",
    b"f": b"From",
    b"to": b"To",
    b"t": b"To",
    b"call-id": b"Call-ID",
    b"i": b"Call-ID",
    b"cseq": b"CSeq",
}
_SINGLE = (b"From", b"To", b"Call-ID", b"CSeq")
_TAG = re.compile(rb";\s*tag\s*=", re.IGNORECASE)
_RPORT = re.compile(rb";\s*rport(?=\s*(?:;|$))", re.IGNORECASE)

ServerKnown = Callable[[tuple[str, str, str, int | None, str]], bool]


def _head_fields(data: bytes) -> dict[bytes, list[bytes]] | None:
    """The 503's lines of the head, by canonical name (values unparsed); None when unsure."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    fields: dict[bytes, list[bytes]] = {}
    for line in data[:end].split(b"\r\n")[1:]:
        if line[:1] in (b" ", b"\t"):
            return None  # folded: the parsed path
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        canonical = _NAMES.get(name.strip().lower())
        if canonical is not None:
            fields.setdefault(canonical, []).append(value.strip())
    if any(len(fields.get(name, ())) != 1 for name in _SINGLE) or not fields.get(b"Via"):
        return None
    return fields


class RawShedder:
    """``shedder`` is the stack's parsed-path shedder (its guard, its ``send``'s transport and
    counters are shared); ``known`` whether a server-transaction key is live; ``sendto`` sends a
    datagram to an address."""

    def __init__(
        self,
        shedder: StatelessShedder,
        known: ServerKnown,
        sendto: Callable[[bytes, tuple[str, int]], None],
    ) -> None:
        self.shedder = shedder
        self._known = known
        self._sendto = sendto
        self._tag = SHED_TAG.encode()
        self.refused = 0  # of the guard's ``stateless``: refused from the bytes

    def handled(self, data: bytes, source: Peer) -> bool:
        """True when the datagram was refused or absorbed here (nothing more to do)."""
        guard = self.shedder.guard
        self.shedder.judged = False
        if data.startswith(b"ACK "):  # shedding or not: a late ACK of a 503 sent while it was
            if self._tag in data:
                self.shedder.absorbed += 1
                return True
            return False
        if not guard.shedding or not data.startswith(b"INVITE "):
            return False
        try:
            return self._invite(data, source)
        except (SipParseError, ValueError):
            return False  # the parsed path answers what it cannot read

    def _invite(self, data: bytes, source: Peer) -> bool:
        fields = _head_fields(data)
        if fields is None:
            return False
        to = fields[b"To"][0]
        number, _, method = fields[b"CSeq"][0].partition(b" ")
        if _TAG.search(to) or method.strip() != b"INVITE" or not number.strip().isdigit():
            return False
        vias = fields[b"Via"]
        first, comma, rest = vias[0].partition(b",")
        top = parse_via(first.decode("utf-8"))
        branch = top.branch
        if branch is None or not top.is_rfc3261_branch or ":" in top.host:
            return False
        if self._known(("rfc3261", branch, top.host.lower(), top.port, "INVITE")):
            return False  # a retransmission of an INVITE admitted before
        decision = guard_judges(self.shedder)
        if decision is None:
            return False
        self.refused += 1
        stamped = first.rstrip()
        wants_rport = _RPORT.search(stamped) is not None
        if wants_rport:
            stamped = _RPORT.sub(f";rport={source.port}".encode(), stamped, count=1)
        if wants_rport or top.host != source.host:
            stamped += b";received=" + source.host.encode()
        lines = [b"SIP/2.0 503 Service Unavailable", b"Via: " + stamped + comma + rest]
        lines += [b"Via: " + value for value in vias[1:]]
        lines += [
            b"From: " + fields[b"From"][0],
            b"To: " + to + b";tag=" + self._tag,
            b"Call-ID: " + fields[b"Call-ID"][0],
            b"CSeq: " + fields[b"CSeq"][0],
            b"Retry-After: " + str(decision).encode(),
            b"Content-Length: 0",
            b"",
            b"",
        ]
        port = source.port if wants_rport else (top.port or 5060)
        try:
            self._sendto(b"\r\n".join(lines), (source.host, port))
        except OSError as exc:
            log.info("SIP stateless 503 not sent: %s", exc)
        return True


def guard_judges(shedder: StatelessShedder) -> int | None:
    """The guard's judgement of a new INVITE seen as bytes: its Retry-After when refused
    (counted as stateless), None when admitted — the parsed path then passes it unjudged."""
    decision = shedder.guard.judge_shedding()
    if decision is None:
        shedder.judged = True
        return None
    return decision.retry_after
