"""What an application (a B2BUA adapter, say) hears from a user agent besides ``on_incoming``
and ``on_offer``: an optional :class:`UaListener`, called by the UA cores on their scheduler at
the points below, each once per event."""

from __future__ import annotations

from typing import Protocol

from fleet.sip.dialog import Dialog
from fleet.sip.message import Response
from fleet.sip.ua_calls import IncomingCall, OutgoingCall


class UaListener(Protocol):
    def incoming(self, call: IncomingCall) -> None:
        """A new INVITE outside a dialog (after ``on_incoming``, when that is set too)."""
        ...

    def incoming_ended(self, call: IncomingCall) -> None:
        """An unanswered INVITE ended without the application: the caller's CANCEL (487), or
        the UA refused it on its own (504 after 64*T1 without a PRACK, RFC 3262 §3). Not
        called for the application's own ``reject``."""
        ...

    def progress(self, call: OutgoingCall, response: Response) -> None:
        """A response to our initial INVITE: provisional, the 2xx that answers the call, or
        final error; a final error only once the core no longer retries (a 422 it retries is
        not reported). Once the 2xx is ACKed the core lets go of the call: a retransmitted 2xx
        is ACKed again and another fork's 2xx ACKed and BYEd by the core, unreported (but for
        that fork's ``dialog_ended``)."""
        ...

    def failed(self, call: OutgoingCall) -> None:
        """Our initial INVITE timed out (timer B) or could not be sent."""
        ...

    def dialog_ended(self, dialog: Dialog) -> None:
        """A confirmed or early dialog ended by a BYE: received, or sent by the application or
        by the UA itself (session timer expiry, a 2xx never ACKed, 408/481 to a refresh, a 2xx
        after our CANCEL or of a second fork)."""
        ...
