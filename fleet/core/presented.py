"""The presented number of a line's outgoing calls (issue 16 item 4; seeds 002 §2.8 "Numéro
présenté pour les appels vers l'extérieur", 003 §7.2 "Affichage des numéros pour les appels
sortants"): what the person a fleet line calls sees — the line's own number (the default), the
company's main number (the fleet's ``main_number``) or the number of one of the line's groups.

The manager chooses per line (``PresentedNumber``); a prefix dialled before the number chooses
for one call (``*81#N`` the line, ``*82#N`` the main number, ``*83*G#N`` group ``G`` by its
short number or number). The choice applies to calls **to the outside**: a callee of the
caller's own fleet (a line, a group, a fixed number) sees the line as today (002: "pour les
appels vers l'extérieur"). A choice that cannot be honoured — no main number, a group the line
is no longer a member of — presents the line, and the record says why. The manager may lock
a line's choice (the line setting ``presented_user_choice`` off): its user then changes it
neither on the user portal nor by a prefix (the prefix is ignored, the record notes it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from fleet.core.numbering import E164

if TYPE_CHECKING:
    from fleet.core.model import LineServices


class PresentedKind(StrEnum):
    LINE = "line"  # the line's own number (default)
    MAIN = "main"  # the company's main number
    GROUP = "group"  # the number of a group the line belongs to


class Fallback(StrEnum):
    """Why a choice was not honoured (the line's number is presented instead)."""

    NO_MAIN_NUMBER = "no_main_number"
    NOT_A_MEMBER = "not_a_member"
    UNKNOWN_GROUP = "unknown_group"


@dataclass(frozen=True, slots=True)
class PresentedNumber:
    """A line's choice: ``group_id`` names the group when ``kind`` is ``group``, else None."""

    kind: PresentedKind = PresentedKind.LINE
    group_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is PresentedKind.GROUP) != (self.group_id is not None):
            raise ValueError("a group id goes with the kind 'group' only")

    @classmethod
    def of(cls, kind: PresentedKind, group_id: int | None = None) -> PresentedNumber:
        """The choice; one shared value per kind without a group (a fleet's lines share it)."""
        if kind is PresentedKind.GROUP:
            return cls(kind, group_id)
        return _SHARED[kind]


_SHARED = {kind: PresentedNumber(kind) for kind in PresentedKind if kind is not PresentedKind.GROUP}
LINE_NUMBER = _SHARED[PresentedKind.LINE]

# Per-call prefixes: service codes 81–83 are no TS 22.030 Annex B code, no PABX code (55–57)
# and no line-setting code; the numbering plan has no "*" (see the README).
PREFIX_LINE = "81"
PREFIX_MAIN = "82"
PREFIX_GROUP = "83"
_PREFIX = re.compile(r"^\*(8[123])(?:\*(\+?[0-9]+))?#(.+)$")


@dataclass(frozen=True, slots=True)
class PresentedPrefix:
    """A per-call choice read from what was dialled; ``group`` as dialled (``*83*G#``)."""

    kind: PresentedKind
    group: str | None = None


def split_prefix(raw: str) -> tuple[PresentedPrefix | None, str]:
    """The per-call presented-number prefix of ``raw`` and the rest (which may still carry
    a ``#31#`` / ``*31#`` prefix); ``(None, raw)`` when there is none."""
    if not raw.startswith("*") and not raw[:1].isspace():
        return None, raw
    text = "".join(raw.split())
    found = _PREFIX.match(text)
    if found is None:
        return None, raw
    code, group, rest = found.groups()
    if code == PREFIX_GROUP:
        if group is None:
            return None, raw
        return PresentedPrefix(PresentedKind.GROUP, group), rest
    if group is not None:
        return None, raw
    kind = PresentedKind.LINE if code == PREFIX_LINE else PresentedKind.MAIN
    return PresentedPrefix(kind), rest


@dataclass(frozen=True, slots=True)
class Presented:
    """What a call presents: ``number``, from the choice ``kind`` (``group_id`` for a group);
    ``fallback`` says why the line's own number replaced the choice; ``per_call``: a prefix
    chose it."""

    number: E164
    kind: PresentedKind
    group_id: int | None = None
    fallback: Fallback | None = None
    per_call: bool = False
    prefix_locked: bool = False  # a prefix was dialled on a line whose choice is locked

    def detail(self) -> dict[str, object]:
        """The call record's note of it."""
        out: dict[str, object] = {"presented": self.number.value, "presented_as": self.kind.value}
        if self.group_id is not None:
            out["presented_group_id"] = self.group_id
        if self.fallback is not None:
            out["presented_fallback"] = self.fallback.value
        if self.per_call:
            out["presented_per_call"] = True
        if self.prefix_locked:
            out["presented_prefix_locked"] = True
        return out


def choose(
    line: LineServices,
    *,
    prefix: PresentedPrefix | None,
    prefix_group: int | None,
    main_number: E164 | None,
) -> Presented:
    """The presented number of ``line``'s outgoing call. ``prefix``: the per-call choice (it
    wins over the line's), ``prefix_group`` the id of the group it names in the line's fleet
    (None: none such); ``main_number``: the fleet's. A line whose choice the manager locked
    (``presented_user_choice`` off) ignores the prefix: its own choice applies, and the
    result says a prefix was refused (``prefix_locked``)."""
    if prefix is not None and not line.line.presented_user_choice:
        kept = choose(line, prefix=None, prefix_group=None, main_number=main_number)
        return replace(kept, prefix_locked=True)
    own = line.line.msisdn
    if prefix is None:
        kind, group_id, per_call = line.line.presented.kind, line.line.presented.group_id, False
    else:
        kind, group_id, per_call = prefix.kind, prefix_group, True
        if kind is PresentedKind.GROUP and group_id is None:
            return Presented(own, kind, None, Fallback.UNKNOWN_GROUP, per_call)
    if kind is PresentedKind.MAIN:
        if main_number is None:
            return Presented(own, kind, None, Fallback.NO_MAIN_NUMBER, per_call)
        return Presented(main_number, kind, None, None, per_call)
    if kind is PresentedKind.GROUP:
        number = {g.group_id: g.group_number for g in line.groups}.get(group_id or 0)
        if number is None:
            return Presented(own, kind, group_id, Fallback.NOT_A_MEMBER, per_call)
        return Presented(number, kind, group_id, None, per_call)
    return Presented(own, PresentedKind.LINE, None, None, per_call)
