"""The receiving side of the SIP transport (RFC 3261 §18.2.1, §18.1.2): a datagram or a framed
stream message parsed, a request's top Via stamped with ``received``/``rport`` (RFC 3581), then
screened (:attr:`Inbound.screen`: overload control refusing new INVITEs before validation),
validated and handed to the :class:`fleet.sip.transport_types.TransportUser`; a request the
stack cannot take is answered here, statelessly, when enough of it was read to route an answer
(Via, From, To, Call-ID, CSeq), and dropped otherwise; malformed responses are dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transport_types import EventKind, Peer, TransportConfig, TransportUser
from fleet.sip.transport_via import (
    UdpPeers,
    error_response,
    routing_error,
    salvage_headers,
    stamp_received,
)
from fleet.sip.validate import Drop, Reject, check_request, check_response

log = logging.getLogger(__name__)

Emit = Callable[[EventKind, Peer | None, str, int | None], None]
AnswerNow = Callable[[bytes, Response, Peer | None], Peer | None]


class Inbound:
    """Messages received, to ``user``: ``emit`` reports what happened to the others,
    ``answer_now`` sends a stateless answer without waiting (None: it could not)."""

    def __init__(
        self, *, user: TransportUser, config: TransportConfig, emit: Emit, answer_now: AnswerNow
    ) -> None:
        self.user = user
        self.config = config
        self._emit = emit
        self._answer_now = answer_now
        self.screen: Callable[[Request, Peer], bool] | None = None
        # asked first for each datagram, unparsed: overload control (fleet.sip.overload_raw)
        self.raw_screen: Callable[[bytes, Peer], bool] | None = None
        self._udp_peer = UdpPeers()

    def datagram(self, data: bytes, address: tuple[str, int]) -> None:
        peer = self._udp_peer(address)
        if not data.strip(b"\r\n"):
            self._emit(EventKind.KEEPALIVE, peer, "", None)  # a CRLF ping needs no answer
            return
        if self.raw_screen is not None and self.raw_screen(data, peer):
            return
        try:
            message = parse_message(data)
        except SipParseError as exc:
            if exc.is_response:
                self._emit(EventKind.DROPPED, peer, f"malformed response: {exc}", None)
                return
            headers = salvage_headers(data)
            if headers is None:
                self._emit(EventKind.DROPPED, peer, f"unreadable request: {exc}", None)
                return
            partial = Request("INVALID", "sip:invalid", headers)
            try:
                stamp_received(partial, peer)
            except SipParseError:
                return
            self.reject(partial, exc.status, exc.reason, (), peer)
            return
        self.dispatch(message, peer)

    def dispatch(self, message: Request | Response, peer: Peer) -> None:
        if isinstance(message, Response):
            outcome = check_response(message)
            if isinstance(outcome, Drop):
                self._emit(EventKind.DROPPED, peer, f"response: {outcome.why}", None)
                return
            try:
                self.user.on_response(message, peer)
            except Exception as exc:
                self._callback_failed(peer, exc)
            return
        try:
            stamp_received(message, peer)
        except SipParseError as exc:
            self._emit(EventKind.DROPPED, peer, f"request with no usable Via: {exc}", None)
            return
        if self.screen is not None and self.screen(message, peer):
            return
        policy = self.config.policy
        if policy is not None:
            outcome = check_request(message, policy)
            if isinstance(outcome, Reject):
                self.reject(message, outcome.status, outcome.reason, outcome.headers, peer)
                return
        else:
            error = routing_error(message)
            if error is not None:
                self.reject(message, error.status, error.reason, (), peer)
                return
        try:
            self.user.on_request(message, peer)
        except Exception as exc:
            self._callback_failed(peer, exc)

    def reject(
        self,
        request: Request,
        status: int,
        reason: str,
        extra: tuple[tuple[str, str], ...],
        peer: Peer,
    ) -> None:
        if request.method == "ACK":
            self._emit(EventKind.DROPPED, peer, f"ACK not answered: {reason}", None)
            return
        response = error_response(request.headers, status, reason, extra)
        try:
            sent = self._answer_now(serialize(response), response, peer)
        except (SipParseError, ConnectionError) as exc:
            sent = None
            reason = f"{reason} (not sent: {exc})"
        kind = EventKind.REJECTED if sent else EventKind.DROPPED
        self._emit(kind, sent or peer, reason, status)

    def _callback_failed(self, peer: Peer, exc: Exception) -> None:
        log.exception("SIP transport user failed on a message from %s", peer)
        self._emit(EventKind.CALLBACK_ERROR, peer, repr(exc), None)

    def udp_error(self, exc: Exception) -> None:
        self._emit(EventKind.UDP_ERROR, None, repr(exc), None)
