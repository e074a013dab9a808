"""What a handset dialled to place a call: the number, and the per-call override of its
caller-id presentation (TS 22.030 / TS 24.081: ``#31#N`` hides the caller's number for
this call, ``*31#N`` shows it although the line hides it by default)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Presentation(Enum):
    """What the callee's handset may show of the caller (CLIP / CLIR)."""

    ALLOWED = "allowed"
    RESTRICTED = "restricted"  # the callee sees "Numéro masqué"


class ClirOverride(Enum):
    """A per-call override of the line's caller-id restriction."""

    SUPPRESS = "suppress"  # *31#<number>: show my number for this call
    INVOKE = "invoke"  # #31#<number>: hide my number for this call


_PREFIX = re.compile(r"^([*#])31#(.+)$")


@dataclass(frozen=True, slots=True)
class Dialled:
    """A dialled string split into the number and the caller-id override it carries."""

    number: str
    override: ClirOverride | None = None

    @classmethod
    def parse(cls, raw: str) -> Dialled:
        if not raw or raw[0] not in "*# \t":  # no prefix (most calls): as dialled
            return cls(number=raw or "")
        text = "".join(raw.split())
        found = _PREFIX.match(text)
        if found is None:
            return cls(number=text)
        override = ClirOverride.SUPPRESS if found.group(1) == "*" else ClirOverride.INVOKE
        return cls(number=found.group(2), override=override)

    def presentation(self, *, hidden_by_default: bool) -> Presentation:
        """The presentation of this call for a caller whose line hides its number by default
        (``hidden_by_default``, the line's CLIR setting) or not."""
        if self.override is ClirOverride.INVOKE:
            return Presentation.RESTRICTED
        if self.override is ClirOverride.SUPPRESS:
            return Presentation.ALLOWED
        return Presentation.RESTRICTED if hidden_by_default else Presentation.ALLOWED
