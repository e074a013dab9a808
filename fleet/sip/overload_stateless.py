"""The cheap refusal of overload control: while :class:`fleet.sip.overload.OverloadGuard` is
shedding, a new INVITE (no To tag) that matches no server transaction is answered **503 with
Retry-After statelessly** (RFC 3261 §8.2.7), ahead of the transaction layer: the response is
built from the request's Via, From, To, Call-ID and CSeq (:func:`fleet.sip.reply.response_for`)
with the To tag :data:`SHED_TAG` and sent once where its top Via says (§18.2.2, through the
stack's transport port). No transaction, no timer, nothing kept: a retransmission of the INVITE
is judged again (another 503, or admitted once the load fell), and the ACK of the 503, which
carries :data:`SHED_TAG`, is dropped on that string check alone, without reaching the layer or
the TU. High-rate SIP servers refuse the same way (Kamailio's ``sl_send_reply``).

The stack screens each request as the transport reads it (``SipTransport.screen``): once parsed
and its Via stamped, **before** it is validated (:func:`fleet.sip.validate.check_request`), so a
refusal costs no validation. The refusal needs only the lines it copies (Via, From, To, Call-ID,
CSeq) and a To without tag; so while shedding, an INVITE that is malformed otherwise (a bad
Request-URI, Max-Forwards, CSeq method, an unsupported Require …) may get the 503 instead of the
400/420 validation would have given it — acceptable, as it would be refused either way, and it
is answered again on retransmission once the load falls. A request lacking one of those lines,
or whose To or top Via cannot be read, goes on to validation as before.

A retransmission of an INVITE admitted before the shedding started matches its server
transaction (``TransactionLayer.has_server_transaction``) and goes on to it, which answers it
with its last response; so does every other request."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response
from fleet.sip.overload import OverloadGuard
from fleet.sip.reply import response_for
from fleet.sip.transport_types import Peer, SendError

log = logging.getLogger(__name__)

SHED_TAG_PREFIX = "sl503-"
SHED_TAG = SHED_TAG_PREFIX + secrets.token_hex(4)  # this process's, the same in every 503


def is_shed_tag(tag: str | None) -> bool:
    return tag is not None and tag.startswith(SHED_TAG_PREFIX)


def stateless_503(request: Request, retry_after: int) -> Response:
    response = response_for(request, 503, "Service Unavailable", to_tag=SHED_TAG)
    response.headers.add("Retry-After", str(retry_after))
    return response


class StatelessShedder:
    """Screens requests ahead of the transaction layer. :meth:`handled` is True when it refused
    the request (a new INVITE while shedding) or absorbed it (the ACK of a stateless 503): the
    caller then passes it on no further. ``known`` says whether a request matches a live server
    transaction; ``send`` is the transport port's. ``absorbed`` counts the ACKs dropped."""

    def __init__(
        self,
        guard: OverloadGuard,
        known: Callable[[Request], bool],
        send: Callable[[Request | Response, Peer], None],
    ) -> None:
        self.guard = guard
        self._known = known
        self._send = send
        self.absorbed = 0
        self.judged = False  # the next INVITE was admitted from its bytes (fleet.sip.overload_raw)

    def handled(self, request: Request, source: Peer) -> bool:
        try:
            return self._handled(request, source)
        except SipParseError:
            return False  # the layer drops what it cannot read

    def _handled(self, request: Request, source: Peer) -> bool:
        method = request.method
        if method == "ACK":
            to = request.to
            if to is not None and is_shed_tag(to.tag):
                self.absorbed += 1
                return True
            return False
        if method != "INVITE":
            return False
        if self.judged:  # admitted from its bytes already: not judged twice
            self.judged = False
            self.guard.pass_judged(request)
            return False
        if not self.guard.shedding:
            return False
        index = request.headers._index
        if not (index.get("from") and index.get("call-id") and index.get("cseq")):
            return False  # validation answers it (400)
        to = request.to
        if to is None or to.tag is not None or self._known(request):
            return False
        decision = self.guard.judge_shedding(request)
        if decision is None:
            return False
        try:
            self._send(stateless_503(request, decision.retry_after), source)
        except SendError as exc:
            log.info("SIP stateless 503 not sent: %s", exc.reason)
        return True
