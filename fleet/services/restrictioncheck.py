"""A line's restriction profile and outgoing call barring checked where its forwardings and
incoming-call list are set (issue 16): a destination the profile does not allow is refused
with ``DESTINATION_RESTRICTED``; one an active barring program bars (BAOC 33, BOIC 331,
BOIC-exHC 332: a forwarding is an outgoing leg of the line, TS 22.088; a list's entry
outside the fleet too) with ``DESTINATION_BARRED``. ``fleet.core.restrictions`` decides,
as the engine does; the fleet's own numbers are read from the database (the bulk import,
``fleetio_restrictions``, gives them: the fleet's and the file's)."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import barring
from fleet.core.barring import SETTINGS
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import RESTRICTION_PROFILE
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.restrictions import Refusal, Restrictions
from fleet.core.values import RestrictionProfile
from fleet.db.tables import LineRow
from fleet.services import views
from fleet.services.lookups import vpn_numbers


class FleetNumbers:
    """The fleet's numbers among those checked (``FleetNumbers`` of the classification):
    ``own``, the E.164 numbers of its lines and fixed numbers."""

    def __init__(self, fleet_id: int, own: AbstractSet[str]) -> None:
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
    """Refuse the first of ``numbers`` the line's barring programs or its profile do not
    allow. ``field`` names the input; ``indexed``: the numbers are an incoming-call list's
    entries and the field is ``field.<index>``."""
    served = views.line(line)
    unrestricted = line.restriction_profile is RestrictionProfile.UNRESTRICTED
    if (unrestricted and not barring.any_outgoing(served)) or not numbers:
        return
    known = FleetNumbers(
        line.fleet_id, await vpn_numbers(session, line.fleet_id, [n.value for n in numbers])
    )
    restrictions = Restrictions(policy=policy, numbers=known)
    for index, number in enumerate(numbers):
        refusal = restrictions.destination(served, number, entry=indexed)
        if refusal is not None:
            raise refused_error(refusal, number, field=f"{field}.{index}" if indexed else field)


def refused_error(refusal: Refusal, number: E164, *, field: str) -> DomainError:
    """The error refusing ``number`` as a forwarding's destination or a list's entry."""
    if refusal.barring is not None:
        label = SETTINGS[refusal.barring].label
        return DomainError(
            ErrorCode.DESTINATION_BARRED,
            field=field,
            number=number.national(),
            barring_fr=label.fr[0].lower() + label.fr[1:],
            barring_en=label.en[0].lower() + label.en[1:],
        )
    profile = RESTRICTION_PROFILE.choices[refusal.profile]
    return DomainError(
        ErrorCode.DESTINATION_RESTRICTED,
        field=field,
        number=number.national(),
        profile_fr=profile.fr,
        profile_en=profile.en,
    )
