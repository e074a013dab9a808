"""Restriction profiles, pure (issue 16; seed 002 §2.4): what a destination is (emergency,
free, the fleet's own, national, shared cost, mobile, overseas, premium, international) and
which profile allows which, each profile adding to the one before it."""

from __future__ import annotations

import itertools

import pytest

from fleet.core.numbering import E164, NumberPolicy
from fleet.core.restrictions import ALLOWED, Destination, allows, classify, number_class
from fleet.core.values import RestrictionProfile

FLEET = 1
OWN = {"+33611000001", "+33145678910"}  # a line and the fixed number of the fleet
SHORT = {"2001": "+33611000001", "2100": "+33145678910"}

D = Destination
P = RestrictionProfile


class Numbers:
    """The fleet's numbers, as the directory knows them."""

    def short_number(self, fleet_id: int, digits: str) -> E164 | None:
        found = SHORT.get(digits) if fleet_id == FLEET else None
        return E164(found) if found else None

    def fleet_of(self, number: E164) -> int | None:
        return FLEET if number.value in OWN else None


def of(dialled: str) -> Destination:
    return classify(dialled, fleet_id=FLEET, policy=NumberPolicy(), numbers=Numbers())


@pytest.mark.parametrize(
    ("dialled", "destination"),
    [
        ("112", D.EMERGENCY),
        ("15", D.EMERGENCY),
        ("17", D.EMERGENCY),
        ("18", D.EMERGENCY),
        ("114", D.EMERGENCY),
        ("115", D.EMERGENCY),
        ("119", D.EMERGENCY),
        ("116000", D.EMERGENCY),
        ("196", D.EMERGENCY),
        ("2001", D.VPN),  # a short number of the fleet
        ("2100", D.VPN),
        ("0611000001", D.VPN),  # a line of the fleet, dialled in full
        ("+33145678910", D.VPN),  # its fixed number
        ("0146000000", D.NATIONAL),
        ("0972123456", D.NATIONAL),
        ("0800123456", D.FREE),
        ("3000", D.FREE),
        ("3115", D.FREE),
        ("3901", D.FREE),
        ("0810123456", D.SHARED_COST),
        ("0612345678", D.MOBILE),
        ("06 12 34 56 78", D.MOBILE),
        ("0756123456", D.MOBILE),
        ("0033612345678", D.MOBILE),
        ("+262262123456", D.OVERSEAS),  # Réunion
        ("+590590123456", D.OVERSEAS),  # Guadeloupe
        ("0596123456", D.OVERSEAS),  # Martinique, dialled nationally
        ("0899123456", D.PREMIUM),
        ("0892123456", D.PREMIUM),
        ("0820123456", D.PREMIUM),
        ("3615", D.PREMIUM),
        ("3244", D.PREMIUM),
        ("3949", D.PREMIUM),
        ("118712", D.PREMIUM),
        ("+442071234567", D.INTERNATIONAL),
        ("00442071234567", D.INTERNATIONAL),
        ("+14155552671", D.INTERNATIONAL),
        ("999", D.UNKNOWN),  # no number: the unknown-number treatment
        ("0612", D.UNKNOWN),
        ("abc", D.UNKNOWN),
    ],
)
def test_a_destination_is_classified(dialled: str, destination: Destination) -> None:
    assert of(dialled) is destination


def test_a_number_of_another_fleet_is_no_vpn_number() -> None:
    policy, numbers = NumberPolicy(), Numbers()
    line = E164("+33611000001")
    assert number_class(line, fleet_id=FLEET, policy=policy, numbers=numbers) is D.VPN
    assert number_class(line, fleet_id=2, policy=policy, numbers=numbers) is D.MOBILE
    assert classify("2001", fleet_id=2, policy=policy, numbers=numbers) is D.UNKNOWN


# the seed's table (002 §2.4) with the fleet-only profile after its first: in the order of
# COLUMNS (emergency, free, VPN, national, 081, mobile, DOM-TOM, premium, international)
TABLE = {
    P.EMERGENCY: "xx.......",
    P.VPN: "xxx......",
    P.NATIONAL: "xxxx.....",
    P.NATIONAL_SHARED_COST: "xxxxx....",
    P.FRANCE: "xxxxxx...",
    P.FRANCE_OVERSEAS: "xxxxxxx..",
    P.NO_INTERNATIONAL: "xxxxxxxx.",
    P.NO_PREMIUM: "xxxxxxx.x",
    P.UNRESTRICTED: "xxxxxxxxx",
}
COLUMNS = (
    *(D.EMERGENCY, D.FREE, D.VPN, D.NATIONAL, D.SHARED_COST),
    *(D.MOBILE, D.OVERSEAS, D.PREMIUM, D.INTERNATIONAL),
)


@pytest.mark.parametrize("profile", list(RestrictionProfile), ids=str)
def test_each_profile_allows_what_the_seeds_table_says(profile: RestrictionProfile) -> None:
    assert [allows(profile, d) for d in COLUMNS] == [m == "x" for m in TABLE[profile]]
    assert allows(profile, D.EMERGENCY) and allows(profile, D.UNKNOWN)


def test_the_profiles_go_from_the_most_restricted_to_the_unrestricted_default() -> None:
    ordered = list(RestrictionProfile)
    assert ordered[-1] is P.UNRESTRICTED and ALLOWED[P.UNRESTRICTED] == frozenset(Destination)
    widening = ordered[: ordered.index(P.NO_INTERNATIONAL) + 1]
    for narrower, wider in itertools.pairwise(widening):
        assert ALLOWED[narrower] < ALLOWED[wider]
