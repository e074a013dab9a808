"""A :class:`fleet.sip.ua_listener.UaListener` that writes down what it hears, for the listener
tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from fleet.sip.dialog import Dialog
from fleet.sip.message import Response
from fleet.sip.ua_calls import IncomingCall, OutgoingCall


class Heard(Enum):
    INCOMING = "incoming"
    INCOMING_ENDED = "incoming_ended"
    PROGRESS = "progress"
    FAILED = "failed"
    DIALOG_ENDED = "dialog_ended"


@dataclass
class Ear:
    """Each callback as (what, the call or dialog, a status or None), in order."""

    heard: list[tuple[Heard, object, int | None]] = field(default_factory=list)

    def kinds(self) -> list[Heard]:
        return [kind for kind, _, _ in self.heard]

    def statuses(self) -> list[int | None]:
        return [status for kind, _, status in self.heard if kind is Heard.PROGRESS]

    def incoming(self, call: IncomingCall) -> None:
        self.heard.append((Heard.INCOMING, call, None))

    def incoming_ended(self, call: IncomingCall) -> None:
        self.heard.append((Heard.INCOMING_ENDED, call, call.final_status))

    def progress(self, call: OutgoingCall, response: Response) -> None:
        self.heard.append((Heard.PROGRESS, call, response.status))

    def failed(self, call: OutgoingCall) -> None:
        self.heard.append((Heard.FAILED, call, call.final_status))

    def dialog_ended(self, dialog: Dialog) -> None:
        self.heard.append((Heard.DIALOG_ENDED, dialog, None))
