"""The operator's voicemail platform as a forwarding destination (issue 16 item 7).

A deployment names the platform's number (``voicemail_number``); without it voicemail is
offered nowhere. A forwarding or a group's no-answer rule to voicemail reaches that number
with the diversion history, whose first hop names the mailbox (the served line, or the
group's number)."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import Forwarding
from fleet.core.numbering import E164
from fleet.core.values import ForwardingTarget


@dataclass(frozen=True, slots=True)
class VoicemailPlatform:
    """The deployment's voicemail platform: its number, or None (voicemail not offered)."""

    number: E164 | None = None

    @property
    def offered(self) -> bool:
        return self.number is not None

    def require(self, *, field: str = "target") -> E164:
        """The platform's number; a domain error when this deployment has none."""
        if self.number is None:
            raise DomainError(ErrorCode.VOICEMAIL_NOT_CONFIGURED, field=field)
        return self.number

    def is_platform(self, number: E164 | None) -> bool:
        """Whether ``number`` is the platform's (a handset typing ``**21*<it>#``)."""
        return number is not None and number == self.number

    def destination(self, rule: Forwarding) -> E164 | None:
        """Where a forwarding rule sends the call: its number, or the platform's number
        (None when the rule is to voicemail and the deployment has none)."""
        if rule.target is ForwardingTarget.VOICEMAIL:
            return self.number
        return rule.destination


NO_VOICEMAIL = VoicemailPlatform()


def forwarding_target(
    raw: str | ForwardingTarget | None, *, field: str = "target"
) -> ForwardingTarget:
    """A forwarding's target as given by a channel; absent means a number."""
    if isinstance(raw, ForwardingTarget):
        return raw
    value = (raw or "").strip().lower()
    if not value:
        return ForwardingTarget.NUMBER
    try:
        return ForwardingTarget(value)
    except ValueError as exc:
        raise DomainError(ErrorCode.FORWARDING_TARGET_INVALID, field=field, target=raw) from exc
