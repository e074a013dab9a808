"""The feature-code catalogue: which service code does what. It is data — a deployment may
override the PABX codes — and no PABX code may collide with TS 22.030 Annex B. A line setting
with a service code (``LINE_SETTINGS``: 43 call waiting, 31 hidden number) is one feature,
"line setting", whatever the setting."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from featurecodes.grammar import ANNEX_B_CODES
from fleet.core.barring import Barring
from fleet.core.linesettings import LINE_SETTINGS, LineSetting, UssdAnswers
from fleet.core.values import ForwardingKind


class Feature(Enum):
    FORWARDING = "forwarding"
    LINE_SETTING = "line_setting"  # switched on, off and asked with the setting's code
    GROUP_MEMBER = "group_member"  # connect / disconnect / status with the user code
    GROUP_ADMIN = "group_admin"  # another member or all members, with the admin code
    INCOMING_LIST = "incoming_list"
    BARRING = "barring"  # a program (33...) or a group of them (330...), with the password
    BARRING_PASSWORD = "barring_password"  # 03: the barring password's change


FORWARDING_CODES: dict[str, tuple[ForwardingKind, ...]] = {
    "21": (ForwardingKind.UNCONDITIONAL,),
    "67": (ForwardingKind.BUSY,),
    "61": (ForwardingKind.NO_REPLY,),
    "62": (ForwardingKind.NOT_REACHABLE,),
    "002": tuple(ForwardingKind),
    "004": (ForwardingKind.BUSY, ForwardingKind.NO_REPLY, ForwardingKind.NOT_REACHABLE),
}


# the barring programs and their groups: all (330), outgoing (333), incoming (353)
BARRING_CODES: frozenset[str] = frozenset(b.value for b in Barring) | {"330", "333", "353"}
PASSWORD_CODE = "03"


def _standard() -> dict[str, Feature]:
    codes = {code: Feature.FORWARDING for code in FORWARDING_CODES}
    codes.update({code: Feature.BARRING for code in BARRING_CODES})
    codes[PASSWORD_CODE] = Feature.BARRING_PASSWORD
    return codes


class CatalogueError(ValueError):
    """A PABX code collides with Annex B or with another code."""


def _setting_codes() -> dict[str, LineSetting[bool]]:
    return {s.service_code: s for s in LINE_SETTINGS if s.service_code is not None}


@dataclass(frozen=True)
class Catalogue:
    group_member: str = "55"
    group_admin: str = "56"
    incoming_list: str = "57"
    menu: str = "*700#"  # a USSD string opening the numbered menu
    standard: dict[str, Feature] = field(default_factory=_standard)
    settings: dict[str, LineSetting[bool]] = field(default_factory=_setting_codes)

    def __post_init__(self) -> None:
        pabx = [self.group_member, self.group_admin, self.incoming_list]
        for code in pabx:
            if not code.isdigit() or not 2 <= len(code) <= 3:
                raise CatalogueError(f"PABX service code {code!r}: 2 or 3 digits")
            if code in ANNEX_B_CODES:
                raise CatalogueError(f"PABX service code {code} collides with TS 22.030 Annex B")
        if len(set(pabx)) != len(pabx):
            raise CatalogueError("PABX service codes must differ")
        for code, setting in self.settings.items():
            if code in self.standard or code in pabx:
                raise CatalogueError(f"service code {code} of {setting.name} is taken")
        if not (self.menu.startswith("*") and self.menu.endswith("#")):
            raise CatalogueError(f"menu code {self.menu!r}: a USSD string like *700#")

    def feature(self, code: str) -> Feature | None:
        pabx = {
            self.group_member: Feature.GROUP_MEMBER,
            self.group_admin: Feature.GROUP_ADMIN,
            self.incoming_list: Feature.INCOMING_LIST,
        }
        if self.setting(code) is not None:
            return Feature.LINE_SETTING
        return pabx.get(code) or self.standard.get(code)

    def setting(self, code: str) -> tuple[LineSetting[bool], UssdAnswers] | None:
        """The line setting this service code switches, with its answers; None when the code
        switches no setting (a setting without USSD answers has no command)."""
        setting = self.settings.get(code)
        if setting is None or setting.answers is None:
            return None
        return setting, setting.answers

    @property
    def codes(self) -> frozenset[str]:
        """Every service code the grammar must read as a supplementary service."""
        pabx = {self.group_member, self.group_admin, self.incoming_list}
        settings = {code for code in self.settings if self.setting(code) is not None}
        return frozenset(self.standard) | settings | pabx
