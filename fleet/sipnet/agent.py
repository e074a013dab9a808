"""The user agent of the SIP network adapter: a :class:`fleet.sip.ua_core.UserAgent` whose
listener (:class:`fleet.sip.ua_listener.UaListener`) is the adapter. It hears every response to
an INVITE we sent and its failure, an incoming INVITE ended by the caller's CANCEL (or by the
UA itself), a dialog ended by either side; it sends initial INVITEs with headers of its choice
(From, P-Asserted-Identity, Privacy, correlation) and final responses with their standard
reason phrases (:data:`fleet.sip.ua_messages.REASON_PHRASES`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fleet.sip.dialog import Dialog, glare_retry_delay
from fleet.sip.transaction_ports import TimerHandle
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import OutgoingCall
from fleet.sip.ua_core import UserAgent
from fleet.sip.ua_listener import UaListener

AgentListener = UaListener


class FleetAgent(UserAgent):
    """A :class:`UserAgent` reporting to its listener, set once the adapter exists."""

    def attach(self, listener: AgentListener) -> None:
        self.listener = listener

    def invite_with(
        self,
        uri: str,
        destination: Peer,
        *,
        local_party: str,
        headers: Iterable[tuple[str, str]],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> OutgoingCall:
        """An initial INVITE from ``local_party`` (a From value without tag; ours is added)
        with extra ``headers``. The agent asks for no session timer nor 100rel."""
        return self.invite(
            uri,
            destination,
            local_party=local_party,
            headers=headers,
            body=body,
            content_type=content_type,
        )

    def later(self, delay: float, callback: Callable[[], object]) -> TimerHandle:
        """``callback`` on the agent's scheduler after ``delay`` seconds (0: once the current
        message has been handled)."""
        return self._scheduler.call_later(delay, callback)

    def glare_delay(self, dialog: Dialog) -> float:
        """RFC 3261 §14.1: how long to wait before a request of ours refused 491 in
        ``dialog`` goes again."""
        return glare_retry_delay(dialog.is_caller, self._random)
