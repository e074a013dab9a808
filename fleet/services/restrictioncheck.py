"""A line's restriction profile checked where its forwardings and incoming-call list are set
(issue 16): a destination the profile does not allow is refused with
``DESTINATION_RESTRICTED`` (``fleet.core.restrictions`` classifies; the fleet's own numbers
are read from the database)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import RESTRICTION_PROFILE
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.restrictions import allows, number_class
from fleet.core.values import RestrictionProfile
from fleet.db.tables import LineRow
from fleet.services.lookups import vpn_numbers


class _Known:
    """The fleet's numbers among those checked (``FleetNumbers`` of the classification)."""

    def __init__(self, fleet_id: int, own: set[str]) -> None:
        self._fleet_id = fleet_id
        self._own = own

    def short_number(self, fleet_id: int, digits: str) -> E164 | None:
        return None  # only E.164 numbers are checked here

    def fleet_of(self, number: E164) -> int | None:
        return self._fleet_id if number.value in self._own else None


async def check_destinations(
    session: AsyncSession,
    policy: NumberPolicy,
    line: LineRow,
    numbers: Sequence[E164],
    *,
    field: str,
    indexed: bool = False,
) -> None:
    """Refuse the first of ``numbers`` the line's profile does not allow. ``field`` names
    the input; ``indexed``: it is a list and the field is ``field.<index>``."""
    profile = line.restriction_profile
    if profile is RestrictionProfile.UNRESTRICTED or not numbers:
        return
    known = _Known(
        line.fleet_id, await vpn_numbers(session, line.fleet_id, [n.value for n in numbers])
    )
    for index, number in enumerate(numbers):
        found = number_class(number, fleet_id=line.fleet_id, policy=policy, numbers=known)
        if not allows(profile, found):
            label = RESTRICTION_PROFILE.choices[profile]
            raise DomainError(
                ErrorCode.DESTINATION_RESTRICTED,
                field=f"{field}.{index}" if indexed else field,
                number=number.national(),
                profile_fr=label.fr,
                profile_en=label.en,
            )
