"""What the web console shows, as plain data for its templates: the fleets, a fleet's
handsets and the outside ones (each the control API's handset view, so a field another part
of netsim adds to that view — an USSD answer, an SMS inbox, in-call keys — shows without a
change here), the calls in progress with their legs, and the timeline's records with the
why of each event, in the page's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fleet.core.model import CallRecord, Fleet
from fleet.core.numbering import shown
from fleet.core.values import Language
from simulators.netsim import console_texts
from simulators.netsim.handset import Handset, HandsetKind
from simulators.netsim.handset_leg import HandsetError, HandsetLeg
from simulators.netsim.incall import keyed_leg
from simulators.netsim.legs import NetCall
from simulators.netsim.network import Netsim

KNOWN_FIELDS = frozenset(
    {"number", "e164", "kind", "name", "fleet_id", "short_number", "state", "behaviour"}
    | {"screen", "legs", "ussd"}
)  # the handset view's fields the card lays out itself; any other is listed as it comes


def dom_id(e164: str) -> str:
    return "h" + e164.lstrip("+")


@dataclass(frozen=True, slots=True)
class Extra:
    """A field of the handset view the card does not know: its label and its lines."""

    key: str
    label: str
    lines: tuple[str, ...]


def _lines(value: object) -> tuple[str, ...]:
    if value is None or value == "" or value == [] or value == {}:
        return ()
    if isinstance(value, dict):
        return tuple(f"{k}: {_flat(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return tuple(_flat(v) for v in value)
    return (_flat(value),)


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def extras(view: dict[str, object], t: dict[str, str]) -> list[Extra]:
    found = []
    for key, value in view.items():
        if key in KNOWN_FIELDS:
            continue
        lines = _lines(value)
        if lines:
            found.append(Extra(key, t.get(f"field_{key}", key.replace("_", " ")), lines))
    return found


def screen_lines(view: dict[str, object], t: dict[str, str]) -> list[str]:
    screen = view.get("screen")
    if not isinstance(screen, dict):
        return []
    lines: list[str] = []
    if screen.get("ringing_from"):
        lines.append(t["ringing"].format(screen["ringing_from"]))
    held = [str(x) for x in screen.get("held") or []]
    talking = [str(x) for x in screen.get("in_call_with") or [] if x not in held]
    lines += [t["in_call"].format(x) for x in talking]
    lines += [t["held"].format(x) for x in held]
    lines += [t["calling"].format(x) for x in screen.get("calling") or []]
    if screen.get("forwarded_from"):
        lines.append(t["forwarded"].format(screen["forwarded_from"]))
    return (lines or [t["idle"]]) + ussd_lines(view.get("ussd"), t)


def ussd_lines(ussd: object, t: dict[str, str]) -> list[str]:
    """What the screen shows of the handset's last USSD dialogue: sent and waiting, the
    answer (a menu's lines included), or why it failed."""
    if not isinstance(ussd, dict):
        return []
    sent = str(ussd.get("sent") or "")
    if ussd.get("state") == "waiting":
        return [t["ussd_waiting"].format(sent)]
    if ussd.get("state") == "failed":
        return [t["ussd_failed"].format(sent, ussd.get("error") or "")]
    return [line for line in str(ussd.get("text") or "").splitlines() if line.strip()]


def card(netsim: Netsim, e164: str, t: dict[str, str]) -> dict[str, object] | None:
    handset = netsim.handsets.by_number.get(e164)
    if handset is None:
        return None
    view = netsim.handset_view(handset)
    behaviour = view["behaviour"]
    assert isinstance(behaviour, dict)
    return {
        "view": view,
        "id": dom_id(e164),
        "title": view["name"] or view["number"],
        "screen": screen_lines(view, t),
        "extras": extras(view, t),
        "answer": behaviour["answer"],
        "seconds": _seconds(behaviour["seconds"]),
        "in_call": in_call(handset),
    }


def in_call(handset: Handset) -> bool:
    """Whether the handset has a call to press in-call keys in (one it talks in, places or
    holds): its card then offers the keys."""
    try:
        keyed_leg(handset)
    except HandsetError:
        return False
    return True


def _seconds(value: object) -> str:
    number = float(value) if isinstance(value, int | float) else 0.0
    return str(int(number)) if number.is_integer() else str(number)


def fleet_cards(
    netsim: Netsim, fleet_id: int | None, t: dict[str, str]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The cards of the fleet's handsets (by short number) and of the outside ones."""
    mine, outside = [], []
    for handset in netsim.handsets.by_number.values():
        if handset.kind is HandsetKind.OUTSIDE:
            outside.append(handset)
        elif handset.info.fleet_id == fleet_id:
            mine.append(handset)
    mine.sort(key=lambda h: (h.info.short_number or "~", h.info.name))
    outside.sort(key=lambda h: h.number.value)
    cards = [card(netsim, h.number.value, t) for h in mine]
    others = [card(netsim, h.number.value, t) for h in outside]
    return [c for c in cards if c], [c for c in others if c]


def belongs(netsim: Netsim, e164: str, fleet_id: int | None) -> bool:
    handset = netsim.handsets.by_number.get(e164)
    return handset is not None and (
        handset.kind is HandsetKind.OUTSIDE or handset.info.fleet_id == fleet_id
    )


@dataclass(frozen=True, slots=True)
class LegLine:
    kind: str
    party: str
    other: str | None
    state: str


@dataclass(frozen=True, slots=True)
class CallLines:
    id: str
    icid: str
    legs: tuple[LegLine, ...]


def calls(netsim: Netsim, t: dict[str, str], limit: int = 50) -> list[CallLines]:
    """The calls in progress (the first ``limit``), each leg as a line."""
    shown_calls = []
    for call in list(netsim.calls.active.values())[:limit]:
        legs = []
        for leg in call.legs:
            state = t.get(f"leg_{leg.state.value}", leg.state.value)
            handset = leg if isinstance(leg, HandsetLeg) else None
            if leg.held or (handset is not None and handset.on_hold):
                state += f", {t['leg_held']}"
            legs.append(
                LegLine(
                    kind=t.get(f"leg_{leg.kind.value}", leg.kind.value),
                    party=handset.handset.national if handset is not None else leg.party,
                    other=handset.shows if handset is not None else None,
                    state=state,
                )
            )
        shown_calls.append(CallLines(id=call.id, icid=call.icid, legs=tuple(legs)))
    return shown_calls


def handsets_of(call: NetCall) -> Iterable[str]:
    """The E.164 numbers of the handsets in ``call``."""
    for leg in call.legs:
        if isinstance(leg, HandsetLeg):
            yield leg.handset.number.value


@dataclass(frozen=True, slots=True)
class TimelineItem:
    id: str
    time: str
    moment: str  # ISO, for <time datetime>
    heading: str
    outcome: str
    events: tuple[tuple[str, str], ...]  # (time, why)


def timeline_item(
    record: CallRecord, netsim: Netsim, fleets: dict[int, Fleet], language: Language
) -> TimelineItem:
    t = console_texts.texts(language)
    fleet = fleets.get(record.fleet_id) if record.fleet_id is not None else None
    zone = ZoneInfo(fleet.timezone if fleet else "UTC")

    def party(number: str | None) -> str:
        if not number:
            return t["hidden"]
        handset = netsim.handsets.by_number.get(number)
        national = shown(number, region=netsim.policy.region)
        if handset is not None and handset.info.name:
            return f"{handset.info.name} ({national})"
        return national

    def clock(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%H:%M:%S")

    case = t.get(record.session_case.value, record.session_case.value)
    events = tuple(
        (clock(e.at), console_texts.why(e, language, party=party)) for e in record.events
    )
    outcome = t.get(f"outcome_{record.outcome.value}", "") if record.outcome else ""
    return TimelineItem(
        id="r-" + "".join(c if c.isalnum() else "-" for c in record.call_id),
        time=clock(record.offered_at),
        moment=record.offered_at.isoformat(),
        heading=f"{party(record.caller)} → {party(record.called)} ({case})",
        outcome=outcome,
        events=events,
    )
