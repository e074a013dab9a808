"""Restriction profiles (issue 16; seed 002 §2.4): which destinations a line may call, and
forward to (pure).

A destination — what a line dials, or a forwarding's number — is first *classified*
(:func:`classify`): an emergency number, a free or customer-service number, a number of the
caller's own fleet (its VPN: a short number, a line, a fixed number), a national fixed
number, a shared-cost number (081, "numéro Azur"), a mobile, a number of the overseas
departments and territories (DOM-TOM), a premium-rate number, an international number.
``phonenumbers`` (through the deployment's ``NumberPolicy``) parses; the French short codes
of the seed (30xx/31xx/3901 free, 32xx/36xx/39xx/118xxx premium) are data here.

A line's profile (``RestrictionProfile``, the ``restriction_profile`` line setting) then
allows a set of classes (:func:`allows`), each profile adding to the one before it in the
seed's order; emergency numbers are allowed by every profile. A number that is no number
(``UNKNOWN``) is not the profile's to refuse: the call's unknown-number treatment applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from fleet.core import barring
from fleet.core.barring import Barring
from fleet.core.linesettings import RESTRICTION_PROFILE
from fleet.core.model import Line
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.roaming import AT_HOME, LineLocation, Locations
from fleet.core.values import RestrictionProfile


class Destination(StrEnum):
    """The class of a destination, as the restriction profiles see it."""

    EMERGENCY = "emergency"
    FREE = "free"  # toll-free 080x, customer services 30xx, 31xx, 3901
    VPN = "vpn"  # the caller's fleet: its short numbers, lines and fixed numbers
    NATIONAL = "national"  # national fixed (01-05, 09)
    SHARED_COST = "shared_cost"  # 081 ("numéros Azur")
    MOBILE = "mobile"  # national mobiles (06, 07)
    OVERSEAS = "overseas"  # DOM-TOM, fixed and mobile
    PREMIUM = "premium"  # 082-089, 32xx, 36xx, 39xx, 118xxx
    INTERNATIONAL = "international"
    UNKNOWN = "unknown"  # no number: the unknown-number treatment, not a restriction


class FleetNumbers(Protocol):
    """What classification needs of the directory: the fleet's short numbers and whose a
    number is (``fleet.core.calls.ports.Directory`` is one)."""

    def short_number(self, fleet_id: int, digits: str) -> E164 | None: ...

    def fleet_of(self, number: E164) -> int | None: ...


# the regions of the overseas departments and territories, and their numbers as dialled in
# national format from mainland France (ARCEP's plan: 0262, 0590, 0690...)
OVERSEAS_REGIONS = frozenset({"RE", "YT", "GP", "BL", "MF", "GF", "MQ", "PM", "NC", "PF", "WF"})
OVERSEAS_PREFIXES = (
    *("0262", "0263", "0269", "0590", "0594", "0596"),
    *("0639", "0690", "0691", "0692", "0693", "0694", "0696", "0697"),
)
# French emergency numbers phonenumbers does not know as such (it knows 112, 15, 17, 18):
# 114 (SMS/fax for the deaf), 115 (SAMU social), 119 (children), 116000 (missing children),
# 191 (air rescue), 196 (sea rescue), 197 (alert)
EMERGENCY_EXTRA = frozenset({"114", "115", "119", "116000", "191", "196", "197"})
FREE_PREFIXES = ("080",)
SHARED_COST_PREFIXES = ("081",)
PREMIUM_PREFIXES = tuple(f"08{d}" for d in range(2, 10))
FREE_SHORT = ("30", "31", "3901")  # 4-digit customer-service codes, free
PREMIUM_SHORT = ("32", "36", "39")  # 4-digit service codes, premium
DIRECTORY_ENQUIRY = "118"  # 118xxx, premium

# each profile allows what the one before it does, and these
_ADDS: dict[RestrictionProfile, frozenset[Destination]] = {
    RestrictionProfile.EMERGENCY: frozenset(
        {Destination.EMERGENCY, Destination.FREE, Destination.UNKNOWN}
    ),
    RestrictionProfile.VPN: frozenset({Destination.VPN}),
    RestrictionProfile.NATIONAL: frozenset({Destination.NATIONAL}),
    RestrictionProfile.NATIONAL_SHARED_COST: frozenset({Destination.SHARED_COST}),
    RestrictionProfile.FRANCE: frozenset({Destination.MOBILE}),
    RestrictionProfile.FRANCE_OVERSEAS: frozenset({Destination.OVERSEAS}),
    RestrictionProfile.NO_INTERNATIONAL: frozenset({Destination.PREMIUM}),
}


def _allowed() -> dict[RestrictionProfile, frozenset[Destination]]:
    allowed: dict[RestrictionProfile, frozenset[Destination]] = {}
    so_far: frozenset[Destination] = frozenset()
    for profile in RestrictionProfile:
        if profile in _ADDS:
            so_far |= _ADDS[profile]
            allowed[profile] = so_far
    everything = frozenset(Destination)
    allowed[RestrictionProfile.NO_PREMIUM] = everything - {Destination.PREMIUM}
    allowed[RestrictionProfile.UNRESTRICTED] = everything
    return allowed


ALLOWED = _allowed()


def allows(profile: RestrictionProfile, destination: Destination) -> bool:
    """Whether a line of ``profile`` may call (or forward to) a destination of that class."""
    return destination in ALLOWED[profile]


def classify(
    dialled: str, *, fleet_id: int, policy: NumberPolicy, numbers: FleetNumbers
) -> Destination:
    """The class of what a line of fleet ``fleet_id`` dialled (digits, ``+`` or a short
    number; separators allowed)."""
    digits = policy.clean(dialled)
    if is_emergency(digits, policy):
        return Destination.EMERGENCY
    kind, number = policy.classify(digits)
    if kind is NumberClass.SHORT:
        if numbers.short_number(fleet_id, digits) is not None:
            return Destination.VPN
        return _short_code(digits)
    if kind is NumberClass.INVALID or number is None:
        return Destination.UNKNOWN
    return number_class(number, fleet_id=fleet_id, policy=policy, numbers=numbers)


def is_emergency(digits: str, policy: NumberPolicy) -> bool:
    """An emergency number of the policy's region (digits as dialled, cleaned)."""
    if not digits.isdigit():
        return False
    return digits in EMERGENCY_EXTRA or shortnumberinfo.is_emergency_number(digits, policy.region)


def number_class(
    number: E164, *, fleet_id: int, policy: NumberPolicy, numbers: FleetNumbers
) -> Destination:
    """The class of an E.164 number for a line of fleet ``fleet_id`` (a forwarding's
    destination, an incoming-call list's entry, a dialled number once parsed)."""
    if numbers.fleet_of(number) == fleet_id:
        return Destination.VPN
    parsed = phonenumbers.parse(number.value, None)
    if parsed.country_code != policy.country_code:
        region = phonenumbers.region_code_for_number(parsed)
        return Destination.OVERSEAS if region in OVERSEAS_REGIONS else Destination.INTERNATIONAL
    national = number.national_digits()
    if national.startswith(OVERSEAS_PREFIXES):
        return Destination.OVERSEAS
    if national.startswith(FREE_PREFIXES):
        return Destination.FREE
    if national.startswith(SHARED_COST_PREFIXES):
        return Destination.SHARED_COST
    if national.startswith(PREMIUM_PREFIXES):
        return Destination.PREMIUM
    kind = phonenumbers.number_type(parsed)
    if kind is PhoneNumberType.MOBILE:
        return Destination.MOBILE
    if kind in (PhoneNumberType.TOLL_FREE,):
        return Destination.FREE
    if kind is PhoneNumberType.SHARED_COST:
        return Destination.SHARED_COST
    if kind is PhoneNumberType.PREMIUM_RATE:
        return Destination.PREMIUM
    return Destination.NATIONAL


def _short_code(digits: str) -> Destination:
    """A short number that is none of the fleet's: a national service code, or nothing."""
    if digits.startswith(DIRECTORY_ENQUIRY) and len(digits) == 6:
        return Destination.PREMIUM
    if len(digits) == 4 and digits.startswith(FREE_SHORT):
        return Destination.FREE
    if len(digits) == 4 and digits.startswith(PREMIUM_SHORT):
        return Destination.PREMIUM
    return Destination.UNKNOWN


@dataclass(frozen=True, slots=True)
class Refusal:
    """A destination the line's profile does not allow, or a call one of its barring
    programs bars (``barring``)."""

    profile: RestrictionProfile
    destination: Destination
    number: str  # as recorded: E.164, or the digits dialled
    barring: Barring | None = None
    where: LineLocation | None = None  # abroad: where the line was (BOIC, BOIC-exHC)

    def detail(self) -> dict[str, object]:
        if self.barring is not None:
            found: dict[str, object] = {
                "barring": self.barring.value,
                "destination": self.destination.value,
            }
            if self.where is not None:
                found["location"] = self.where.describe()
            return found
        return {"restriction": self.profile.value, "destination": self.destination.value}


@dataclass(frozen=True, slots=True)
class Restrictions:
    """Decides, for a line, whether a destination is allowed (the numbering policy parses,
    the directory says which numbers are the fleet's)."""

    policy: NumberPolicy
    numbers: FleetNumbers
    locations: Locations | None = None  # the network; None: every line at home

    def outgoing(self, line: Line, dialled: str) -> Refusal | None:
        """The refusal of what ``line`` dialled, or None when its barring programs and its
        profile allow it. BOIC and BOIC-exHC judge from where the line is (the network is
        asked only when one of them is active)."""
        profile = RESTRICTION_PROFILE.of(line)
        barred = barring.any_outgoing(line)
        if profile is RestrictionProfile.UNRESTRICTED and not barred:  # nothing parsed
            return None
        found = classify(dialled, fleet_id=line.fleet_id, policy=self.policy, numbers=self.numbers)
        number = self.policy.clean(dialled)
        if barred:
            where = self._where(line) if found is not Destination.UNKNOWN else AT_HOME
            program = barring.outgoing(
                line,
                emergency=found is Destination.EMERGENCY,
                international=found is Destination.INTERNATIONAL,
                country=self._country(number) if where.roaming else None,
                where=where,
            )
            if program is not None:
                roaming = where if where.roaming else None
                return Refusal(profile, found, number, barring=program, where=roaming)
        if allows(profile, found):
            return None
        return Refusal(profile, found, number)

    def destination(self, line: Line, number: E164, *, entry: bool = False) -> Refusal | None:
        """The refusal of a forwarding's destination or (``entry``) a list's entry of
        ``line``. A forwarding is an outgoing leg of the line (TS 22.088): its barring
        programs bar it like the line's own call; a list's entry only when it is outside
        the fleet (an entry of the fleet is the fleet's own ringing, like a group member)."""
        profile = RESTRICTION_PROFILE.of(line)
        barred = barring.any_outgoing(line)
        if profile is RestrictionProfile.UNRESTRICTED and not barred:
            return None
        found = number_class(
            number, fleet_id=line.fleet_id, policy=self.policy, numbers=self.numbers
        )
        if barred and not (entry and found is Destination.VPN):
            program = barring.outgoing(  # forwarded from home: judged from home
                line,
                emergency=found is Destination.EMERGENCY,
                international=found is Destination.INTERNATIONAL,
            )
            if program is not None:
                return Refusal(profile, found, number.value, barring=program)
        return None if allows(profile, found) else Refusal(profile, found, number.value)

    def _where(self, line: Line) -> LineLocation:
        if self.locations is None or not barring.by_country(line):
            return AT_HOME
        return self.locations.location(line.msisdn)

    def _country(self, digits: str) -> str | None:
        """The country (ISO alpha-2) of the number dialled: of its E.164 form, the home one
        for a short number; None for a non-geographic one (+800…)."""
        kind, number = self.policy.classify(digits)
        if number is None:
            return self.policy.region if kind is NumberClass.SHORT else None
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number.value, None))
        return region if isinstance(region, str) and len(region) == 2 else None
