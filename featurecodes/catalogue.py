"""The feature-code catalogue: which service code does what. It is data — a deployment may
override the PABX codes — and no PABX code may collide with TS 22.030 Annex B."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from featurecodes.grammar import ANNEX_B_CODES
from fleet.core.values import ForwardingKind


class Feature(Enum):
    FORWARDING = "forwarding"
    CALL_WAITING = "call_waiting"
    CLIR = "clir"
    GROUP_MEMBER = "group_member"  # connect / disconnect / status with the user code
    GROUP_ADMIN = "group_admin"  # another member or all members, with the admin code
    INCOMING_LIST = "incoming_list"


FORWARDING_CODES: dict[str, tuple[ForwardingKind, ...]] = {
    "21": (ForwardingKind.UNCONDITIONAL,),
    "67": (ForwardingKind.BUSY,),
    "61": (ForwardingKind.NO_REPLY,),
    "62": (ForwardingKind.NOT_REACHABLE,),
    "002": tuple(ForwardingKind),
    "004": (ForwardingKind.BUSY, ForwardingKind.NO_REPLY, ForwardingKind.NOT_REACHABLE),
}


class CatalogueError(ValueError):
    """A PABX code collides with Annex B or with another code."""


@dataclass(frozen=True)
class Catalogue:
    group_member: str = "55"
    group_admin: str = "56"
    incoming_list: str = "57"
    menu: str = "*700#"  # a USSD string opening the numbered menu
    standard: dict[str, Feature] = field(
        default_factory=lambda: {
            **{code: Feature.FORWARDING for code in FORWARDING_CODES},
            "43": Feature.CALL_WAITING,
            "31": Feature.CLIR,
        }
    )

    def __post_init__(self) -> None:
        pabx = [self.group_member, self.group_admin, self.incoming_list]
        for code in pabx:
            if not code.isdigit() or not 2 <= len(code) <= 3:
                raise CatalogueError(f"PABX service code {code!r}: 2 or 3 digits")
            if code in ANNEX_B_CODES:
                raise CatalogueError(f"PABX service code {code} collides with TS 22.030 Annex B")
        if len(set(pabx)) != len(pabx):
            raise CatalogueError("PABX service codes must differ")
        if not (self.menu.startswith("*") and self.menu.endswith("#")):
            raise CatalogueError(f"menu code {self.menu!r}: a USSD string like *700#")

    def feature(self, code: str) -> Feature | None:
        pabx = {
            self.group_member: Feature.GROUP_MEMBER,
            self.group_admin: Feature.GROUP_ADMIN,
            self.incoming_list: Feature.INCOMING_LIST,
        }
        return pabx.get(code) or self.standard.get(code)

    @property
    def codes(self) -> frozenset[str]:
        """Every service code the grammar must read as a supplementary service."""
        return frozenset(self.standard) | {
            self.group_member,
            self.group_admin,
            self.incoming_list,
        }
