"""Which SMS a change sends (pure): a change to a line made by someone else than its own user
is told to that line, saying who acted — the fleet manager (portal, API, command line, also
when acting as the line), or another member with the group's administrative code (USSD). A
line's own user (``Actor.line_id``: the employee in the user portal, the handset) hears
nothing of its own changes, whatever the channel. A member connected to or disconnected from
a group hears of it; a line whose forwarding changed gets its new state. Each notice is
written in the line's language when it is staged
(``fleet.services.outbox.OutboxService.stager``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from featurecodes import texts
from fleet.core.changes import ChangeEvent, ForwardingChange, MemberChange
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel, ForwardingKind, Language

MANAGER_CHANNELS = frozenset({Channel.PORTAL, Channel.API, Channel.CLI})


class By(StrEnum):
    """Who changed a line that is not its own."""

    MANAGER = "manager"
    ADMIN_CODE = "admin_code"  # another line's user, with the group's administrative code


def _by(actor: Actor, line_id: int) -> By | None:
    """Who, telling ``line_id`` of a change ``actor`` made; None: nothing to tell (the
    line's own user, or the system and the seeders)."""
    if actor.line_id is not None:
        return None if actor.line_id == line_id else By.ADMIN_CODE
    return By.MANAGER if actor.channel in MANAGER_CHANNELS else None


@dataclass(frozen=True, slots=True)
class MemberNotice:
    """The manager, or another member with the admin code, connected the line to a group
    or disconnected it."""

    line_id: int
    group: str
    connected: bool
    by: By = By.MANAGER

    def text(self, language: Language) -> str:
        key = "sms_member_connected" if self.connected else "sms_member_disconnected"
        if self.by is By.ADMIN_CODE:
            key += "_admin"
        return texts.text(language, key, group=self.group)


@dataclass(frozen=True, slots=True)
class ForwardingNotice:
    """The manager changed one of the line's forwardings: to ``destination``, to the
    voicemail (``voicemail``), or off."""

    line_id: int
    kind: ForwardingKind
    destination: E164 | None
    voicemail: bool = False

    def text(self, language: Language) -> str:
        if self.voicemail:
            state = texts.voicemail_name(language, short=True)
        elif self.destination is not None:
            state = self.destination.national_digits()
        else:
            state = texts.text(language, "state_off")
        summary = f"{texts.kind_name(language, self.kind, short=True)} {state}"
        return texts.text(language, "sms_forwarding_changed", summary=summary)


Notice = MemberNotice | ForwardingNotice


def notices(events: Sequence[ChangeEvent]) -> list[Notice]:
    """The SMS these changes send, in the order of the changes."""
    found: list[Notice] = []
    for event in events:
        match event.change:
            case MemberChange() as change:
                for m in change.switched:
                    by = _by(event.actor, m.line_id)
                    if by is not None:
                        found.append(MemberNotice(m.line_id, change.after.name, m.connected, by=by))
            case ForwardingChange(line_id=line_id, kind=kind, after=after):
                if _by(event.actor, line_id) is By.MANAGER:
                    on = after if after is not None and after.active else None
                    destination = on.destination if on is not None else None
                    voicemail = on is not None and on.to_voicemail
                    found.append(ForwardingNotice(line_id, kind, destination, voicemail))
            case _:
                pass
    return found
