"""Which SMS a change sends (pure): a fleet manager's change to a line — not the user's own —
is told to that line. A member connected to or disconnected from a group hears of it; a
line whose forwarding changed gets its new state. Each notice is written in the line's
language when it is staged (``fleet.services.outbox.OutboxService.stager``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from featurecodes import texts
from fleet.core.changes import ChangeEvent, ForwardingChange, MemberChange
from fleet.core.numbering import E164
from fleet.core.values import Channel, ForwardingKind, Language

MANAGER_CHANNELS = frozenset({Channel.PORTAL, Channel.API, Channel.CLI})


@dataclass(frozen=True, slots=True)
class MemberNotice:
    """The manager connected the line to a group, or disconnected it."""

    line_id: int
    group: str
    connected: bool

    def text(self, language: Language) -> str:
        key = "sms_member_connected" if self.connected else "sms_member_disconnected"
        return texts.text(language, key, group=self.group)


@dataclass(frozen=True, slots=True)
class ForwardingNotice:
    """The manager changed one of the line's forwardings: to ``destination``, or off."""

    line_id: int
    kind: ForwardingKind
    destination: E164 | None

    def text(self, language: Language) -> str:
        state = (
            self.destination.national_digits()
            if self.destination is not None
            else texts.text(language, "state_off")
        )
        summary = f"{texts.kind_name(language, self.kind, short=True)} {state}"
        return texts.text(language, "sms_forwarding_changed", summary=summary)


Notice = MemberNotice | ForwardingNotice


def notices(events: Sequence[ChangeEvent]) -> list[Notice]:
    """The SMS these changes send, in the order of the changes."""
    found: list[Notice] = []
    for event in events:
        if event.actor.channel not in MANAGER_CHANNELS:
            continue
        match event.change:
            case MemberChange() as change:
                found += [
                    MemberNotice(line_id=m.line_id, group=change.after.name, connected=m.connected)
                    for m in change.switched
                ]
            case ForwardingChange(line_id=line_id, kind=kind, after=after):
                destination = after.destination if after is not None and after.active else None
                found.append(ForwardingNotice(line_id=line_id, kind=kind, destination=destination))
            case _:
                pass
    return found
