"""Routing criteria (issue 16 item 2; seeds 001 and 003): when a rule of a line — its
incoming-call list, one of its forwardings, its do-not-disturb — or a group's routing
applies. Pure.

Seed 001 ("Sonneries simultanées / en cascade sélectives", "Liste de critères"): a rule
applies during a schedule ("Horaires": "Horaire du magasin") and for some callers ("Numéros
de téléphone": "Tous les numéros" or "Numéros de téléphone spécifiques"); outside them "l'appel
aboutira sur votre propre numéro". Seed 003 (VTX "Plages horaires"): a number is routed by
time ranges. Issue 16 adds hidden numbers and callers inside or outside the VPN.

A ``Criteria`` (one "Critère #n" of seed 001) holds a name, an "Actif" switch, an optional
schedule (by id: the rule applies *during* it; "outside a schedule" is its opposite
schedule, seed 001's "non-…") and a caller filter. ``evaluate`` checks, in this order, the
schedule then the caller, and answers a ``Match`` whose ``detail`` the call record keeps
(the rule that decided: ``schedule`` or ``callers``).

A rule holds up to ``MAX_CRITERIA`` of them, in order ("Ajouter un critère"); it applies
when one of its active criteria matches (``first_match``: tried from #1 on, the first that
matches is the one the record names). A rule without criteria always applies; a rule whose
criteria are all switched off applies to no call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from fleet.core.error_codes import ErrorCode
from fleet.core.errors import DomainError
from fleet.core.numbering import E164
from fleet.core.schedules import Rule, Schedule
from fleet.core.schedules import evaluate as schedule_verdict
from fleet.core.values import ForwardingKind

MAX_NUMBERS = 10  # per criteria: our choice (seed 001 lists "Ajouter un numéro" without a limit)
MAX_CRITERIA = 12  # per rule: our choice (seed 001's "Ajouter un critère" gives no limit)
MAX_NAME = 40  # characters of a criterion's name


class CallerFilter(StrEnum):
    """Which callers a rule applies to."""

    ANY = "any"  # "Tous les numéros"
    NUMBERS = "numbers"  # "Numéros de téléphone spécifiques"
    HIDDEN = "hidden"  # callers whose number is withheld
    INSIDE_VPN = "inside_vpn"  # a line or a fixed number of the same fleet
    OUTSIDE_VPN = "outside_vpn"  # everybody else (hidden numbers included)


class CriteriaTarget(StrEnum):
    """The rules criteria attach to: a line's list, each forwarding, its DND; a group."""

    INCOMING_LIST = "incoming_list"
    UNCONDITIONAL = "forwarding_unconditional"
    BUSY = "forwarding_busy"
    NO_REPLY = "forwarding_no_reply"
    NOT_REACHABLE = "forwarding_not_reachable"
    DND = "dnd"
    GROUP = "group"  # a group's routing: outside, the no-answer rule at once

    @classmethod
    def of_forwarding(cls, kind: ForwardingKind) -> CriteriaTarget:
        return cls(f"forwarding_{kind.value}")

    @property
    def of_line(self) -> bool:
        return self is not CriteriaTarget.GROUP


LINE_TARGETS = tuple(t for t in CriteriaTarget if t.of_line)


@dataclass(frozen=True, slots=True, kw_only=True)
class Criteria:
    """One criterion of a rule: during ``schedule_id`` (None: always) and for ``callers``
    (``numbers`` only with ``CallerFilter.NUMBERS``); ``name`` ("" shows as "Critère #n")
    and ``active`` (seed 001's "Actif": a criterion switched off never matches)."""

    name: str = ""
    active: bool = True
    schedule_id: int | None = None
    callers: CallerFilter = CallerFilter.ANY
    numbers: tuple[E164, ...] = ()

    @property
    def always(self) -> bool:
        return self.schedule_id is None and self.callers is CallerFilter.ANY


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCriteria:
    """The criteria of one rule of a line or a group, in order (never empty)."""

    target: CriteriaTarget
    criteria: tuple[Criteria, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """What the engine knows of a caller."""

    number: E164 | None
    hidden: bool  # the number is withheld from the callee
    fleet_id: int | None  # the fleet the number is a line or fixed number of


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    matched: bool
    detail: dict[str, object]  # what the call record notes (the rule that decided)


def evaluate(
    criteria: Criteria,
    *,
    fleet_id: int,
    caller: Caller,
    schedule: tuple[Schedule, ZoneInfo] | None,
    at: datetime,
) -> Match:
    """Whether ``criteria`` (of a rule of fleet ``fleet_id``) match a call from ``caller`` at
    ``at`` (aware). Order: the schedule first (a schedule that no longer exists never
    matches), then the caller filter. ``schedule``: the one named by ``schedule_id``, with
    the fleet's time zone."""
    detail: dict[str, object] = {}
    if criteria.schedule_id is not None:
        if schedule is None:
            return Match(matched=False, detail={"rule": "schedule", "schedule": None})
        verdict = schedule_verdict(schedule[0], at, schedule[1])
        detail = {"rule": "schedule", "schedule": schedule[0].name, "at": _clock(verdict.local)}
        if verdict.rule is Rule.RANGE and verdict.range is not None:
            detail["range"] = verdict.range.label
        elif verdict.rule is Rule.HOLIDAY and verdict.holiday is not None:
            detail["holiday"] = verdict.holiday.label
        else:
            detail["range"] = None
        if not verdict.open:
            return Match(matched=False, detail=detail)
    if criteria.callers is CallerFilter.ANY:
        return Match(matched=True, detail=detail or {"rule": "always"})
    matched = _caller_matches(criteria, fleet_id, caller)
    detail = {**detail, "rule": "callers", "callers": criteria.callers.value}
    return Match(matched=matched, detail=detail)


def first_match(criteria: Sequence[Criteria], one: Callable[[Criteria], Match]) -> Match:
    """Whether a rule with these criteria (in order; at least one) applies: its active
    criteria tried from #1 on (``one`` evaluates a criterion), the first that matches
    decides and is named in ``detail`` (``criterion``: its number from 1, ``name``); none
    matching: ``criterion`` None and ``tried``, the active ones' details in order."""
    tried: list[dict[str, object]] = []
    for number, criterion in enumerate(criteria, start=1):
        if not criterion.active:
            continue
        found = one(criterion)
        detail = {"criterion": number, "name": criterion.name, **found.detail}
        if found.matched:
            return Match(matched=True, detail=detail)
        tried.append(detail)
    return Match(matched=False, detail={"criterion": None, "tried": tried})


def _caller_matches(criteria: Criteria, fleet_id: int, caller: Caller) -> bool:
    match criteria.callers:
        case CallerFilter.ANY:
            return True
        case CallerFilter.NUMBERS:
            return caller.number is not None and caller.number in criteria.numbers
        case CallerFilter.HIDDEN:
            return caller.hidden or caller.number is None
        case CallerFilter.INSIDE_VPN:
            return caller.fleet_id == fleet_id
        case CallerFilter.OUTSIDE_VPN:
            return caller.fleet_id != fleet_id


def _clock(local: datetime) -> str:
    return f"{local.hour:02d}:{local.minute:02d}"


# -- validation ------------------------------------------------------------------------


def callers(raw: str | CallerFilter) -> CallerFilter:
    try:
        return CallerFilter(raw)
    except ValueError:
        raise DomainError(ErrorCode.CRITERIA_CALLERS_INVALID, field="callers", value=raw) from None


def target(raw: str | CriteriaTarget) -> CriteriaTarget:
    try:
        return CriteriaTarget(raw)
    except ValueError:
        raise DomainError(ErrorCode.CRITERIA_TARGET_INVALID, field="target", value=raw) from None


def checked(
    *,
    schedule_id: int | None,
    callers_: CallerFilter,
    numbers: Iterable[E164],
    name: str = "",
    active: bool = True,
) -> Criteria:
    """Criteria whose number list fits: numbers only with ``NUMBERS``, 1 to ``MAX_NUMBERS``
    of them (as given), a number given twice kept once (in the order given); a name of at
    most ``MAX_NAME`` characters (blanks around it dropped)."""
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise DomainError(ErrorCode.CRITERIA_NAME_INVALID, field="name", max=MAX_NAME)
    given = tuple(numbers)
    unique = tuple(dict.fromkeys(given))
    if callers_ is CallerFilter.NUMBERS:
        if not unique or len(given) > MAX_NUMBERS:
            raise DomainError(ErrorCode.CRITERIA_NUMBERS_INVALID, field="numbers", max=MAX_NUMBERS)
    elif unique:
        raise DomainError(ErrorCode.CRITERIA_NUMBERS_UNEXPECTED, field="numbers")
    return Criteria(
        name=name, active=active, schedule_id=schedule_id, callers=callers_, numbers=unique
    )


def fitting(criteria: Iterable[Criteria]) -> tuple[Criteria, ...]:
    """A rule's criteria, at most ``MAX_CRITERIA`` of them."""
    found = tuple(criteria)
    if len(found) > MAX_CRITERIA:
        raise DomainError(ErrorCode.CRITERIA_TOO_MANY, field="criteria", max=MAX_CRITERIA)
    return found


# -- what the record's "why" says ------------------------------------------------------

_TARGETS: dict[str, tuple[str, str]] = {
    CriteriaTarget.INCOMING_LIST: ("la liste d'appels", "the incoming-call list"),
    CriteriaTarget.UNCONDITIONAL: ("le renvoi immédiat", "unconditional forwarding"),
    CriteriaTarget.BUSY: ("le renvoi sur occupation", "forwarding on busy"),
    CriteriaTarget.NO_REPLY: ("le renvoi sur non-réponse", "forwarding on no reply"),
    CriteriaTarget.NOT_REACHABLE: ("le renvoi sur injoignabilité", "forwarding when not reachable"),
    CriteriaTarget.DND: ("« ne pas déranger »", "do-not-disturb"),
    CriteriaTarget.GROUP: ("le groupe", "the group"),
}
_CALLERS: dict[str, tuple[str, str]] = {
    CallerFilter.NUMBERS: ("numéros choisis", "chosen numbers"),
    CallerFilter.HIDDEN: ("numéros masqués", "hidden numbers"),
    CallerFilter.INSIDE_VPN: ("appelants du VPN", "callers inside the VPN"),
    CallerFilter.OUTSIDE_VPN: ("appelants hors VPN", "callers outside the VPN"),
}


def explain(detail: dict[str, object], *, english: bool) -> str:
    """The record's ``criteria`` event in words: which rule, whether it applies, and why —
    the criterion that matched (its number, its name, the schedule and its range or
    holiday, the caller filter), or each active criterion that did not."""
    pick = 1 if english else 0
    target = _TARGETS.get(str(detail.get("target")), (str(detail.get("target")),) * 2)[pick]
    applies = bool(detail.get("matched"))
    verb = (("s'applique", "applies") if applies else ("ne s'applique pas", "does not apply"))[pick]
    if "criterion" not in detail:  # a record written before a rule had several criteria
        reasons = _reasons(detail, pick)
        return f"{target} {verb}" + (f" ({', '.join(reasons)})" if reasons else "")
    if detail.get("criterion") is not None:
        return f"{target} {verb} ({_one(detail, pick)})"
    tried = detail.get("tried")
    if not isinstance(tried, list) or not tried:
        return f"{target} {verb} ({('aucun critère actif', 'no active criterion')[pick]})"
    which = "; ".join(_one(t, pick) for t in tried if isinstance(t, dict))
    none = ("aucun critère ne correspond", "no criterion matches")[pick]
    return f"{target} {verb} ({none}{(' : ', ': ')[pick]}{which})"


def _one(detail: dict[str, object], pick: int) -> str:
    name = detail.get("name")
    head = f"{('critère', 'criterion')[pick]} #{detail.get('criterion')}"
    if name:
        head += f" « {name} »"
    reasons = _reasons(detail, pick)
    if detail.get("rule") == "always":
        reasons.append(("toujours", "always")[pick])
    return head + (f"{(' : ', ': ')[pick]}{', '.join(reasons)}" if reasons else "")


def _reasons(detail: dict[str, object], pick: int) -> list[str]:
    reasons: list[str] = []
    if "schedule" in detail:
        name = detail.get("schedule")
        when = detail.get("range") or detail.get("holiday")
        if name is None:
            reasons.append(("horaire supprimé", "schedule deleted")[pick])
        elif when:
            reasons.append(f"{('horaire', 'schedule')[pick]} « {name} » {when}")
        else:
            reasons.append(
                f"{('horaire', 'schedule')[pick]} « {name} » "
                f"{('fermé à', 'closed at')[pick]} {detail.get('at')}"
            )
    callers_ = detail.get("callers")
    if isinstance(callers_, str) and callers_ in _CALLERS:
        reasons.append(_CALLERS[callers_][pick])
    return reasons
