"""What a short string dialled from a fleet line stands for (pure): one of the fleet's short
numbers (a line, a fixed number, a call group), or the abbreviated number of a contact of the
fleet's directory (``fleet.core.contacts``: dialled as it is, seed 002, or after ``##``,
seed 003). Both the simulated network's calls and SIP's originating visit read it."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.calls.ports import Directory
from fleet.core.contacts import dialled_abbreviated
from fleet.core.numbering import E164


@dataclass(frozen=True, slots=True)
class ShortDial:
    """The number a short string reaches (None: nothing of the fleet's), and the
    abbreviated number used when it is a contact's (for the call record)."""

    number: E164 | None
    abbreviated: str | None = None


def is_abbreviated_form(digits: str) -> bool:
    """``##<digits>``: only a contact's abbreviated number (not a number, not a code)."""
    return dialled_abbreviated(digits) is not None


def short_dial(directory: Directory, fleet_id: int, digits: str) -> ShortDial:
    """Translate ``digits`` (cleaned, short or ``##``-prefixed) dialled in ``fleet_id``."""
    prefixed = dialled_abbreviated(digits)
    if prefixed is not None:
        number = directory.abbreviated(fleet_id, prefixed)
        return ShortDial(number, prefixed if number is not None else None)
    number = directory.short_number(fleet_id, digits)
    if number is not None:
        return ShortDial(number)
    number = directory.abbreviated(fleet_id, digits)
    return ShortDial(number, digits if number is not None else None)
