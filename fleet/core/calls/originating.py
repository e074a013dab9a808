"""The originating visit of a call (session case ``originating``): a fleet line's own
outgoing call, seen before the mobile core routes it on.

What the service does for the caller here: a short number of the caller's fleet, or the
abbreviated number of a contact of its directory, becomes the E.164 number it stands for,
a per-call ``#31#`` / ``*31#`` prefix or the line's default caller-id restriction sets the
presentation, the line's presented number (or a per-call ``*81#`` / ``*82#`` / ``*83*G#``
prefix, :mod:`fleet.core.presented`) the identity shown outside the fleet, and one leg goes
on to that number.
Nothing of the callee's side happens on this visit — no forwarding, incoming-call list or
group: those are the terminating visit's, when the core sends the call back to the service
for a fleet callee."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.core.calls.call import Call
from fleet.core.calls.events import (
    CallState,
    LegAlerting,
    LegAnswered,
    LegBusy,
    LegEvent,
    LegRejected,
    ReleaseCause,
)
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import Directory, FixedTarget, GroupTarget, TimerHandle
from fleet.core.calls.shortdial import is_abbreviated_form, short_dial
from fleet.core.dialling import Dialled, Presentation
from fleet.core.linesettings import CLIR
from fleet.core.model import LineServices
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.presented import Presented, PresentedKind, PresentedPrefix, choose, split_prefix
from fleet.core.values import CallEventKind, CallOutcome


@dataclass(frozen=True, slots=True)
class Onward:
    """Where an originating call goes and how the caller is presented: ``number`` None
    when what was dialled names no number (``digits``: what was dialled, cleaned)."""

    number: E164 | None
    digits: str
    presentation: Presentation
    trunk: str | None = None  # a fixed number of the caller's fleet: its trunk, not the core
    presented: Presented | None = None  # None: a callee of the caller's fleet sees the line
    abbreviated: str | None = None  # a directory contact's abbreviated number was dialled

    @property
    def checked(self) -> str:
        """What a line's restriction profile checks of its call: what it dialled, or the
        number a directory contact's abbreviated number stands for."""
        if self.abbreviated is not None and self.number is not None:
            return self.number.value
        return self.digits

    def note_abbreviated(self, call: Call) -> None:
        if self.abbreviated is not None and self.number is not None:
            note_abbreviated(call, self.abbreviated, self.number)


def note_abbreviated(call: Call, abbreviated: str, number: E164) -> None:
    """The record says the caller dialled a directory contact's abbreviated number."""
    call.note(
        CallEventKind.ABBREVIATED_DIALLED,
        to_number=number.value,
        detail={"abbreviated": abbreviated},
    )


def onward(
    line: LineServices,
    dialled: str,
    *,
    policy: NumberPolicy,
    directory: Directory,
    restricted: bool = False,
) -> Onward:
    """Translate what the served ``line`` dialled. ``restricted``: the network already
    withholds the caller's identity, which no ``*31#`` prefix lifts."""
    prefix, rest = split_prefix(dialled)
    what = Dialled.parse(rest)
    digits = policy.clean(what.number)
    kind, number = policy.classify(digits)
    abbreviated = None
    if kind is NumberClass.SHORT or is_abbreviated_form(digits):
        found = short_dial(directory, line.line.fleet_id, digits)
        number, abbreviated = found.number, found.abbreviated
    elif kind is NumberClass.INVALID:
        number = None
    presentation = (
        Presentation.RESTRICTED
        if restricted
        else what.presentation(hidden_by_default=CLIR.of(line.line))
    )
    target = directory.resolve(number) if number is not None else None
    trunk = (
        target.fixed.trunk
        if isinstance(target, FixedTarget) and target.fixed.fleet_id == line.line.fleet_id
        else None
    )
    return Onward(
        number=number,
        digits=digits or dialled,
        presentation=presentation,
        trunk=trunk,
        abbreviated=abbreviated,
        presented=presented_number(line, prefix, number, policy=policy, directory=directory),
    )


def presented_number(
    line: LineServices,
    prefix: PresentedPrefix | None,
    number: E164 | None,
    *,
    policy: NumberPolicy,
    directory: Directory,
) -> Presented | None:
    """What ``line``'s call to ``number`` presents when it is not simply the line; None too
    for a callee of its own fleet (or no number), who sees the line as always."""
    fleet_id = line.line.fleet_id
    if number is None or directory.fleet_of(number) == fleet_id:
        return None
    group_id = None
    if prefix is not None and prefix.group is not None:
        kind, group_number = policy.classify(policy.clean(prefix.group))
        if kind is NumberClass.SHORT:
            group_number = directory.short_number(fleet_id, policy.clean(prefix.group))
        target = directory.resolve(group_number) if group_number is not None else None
        if isinstance(target, GroupTarget) and target.group.fleet_id == fleet_id:
            group_id = target.group.id
    chosen = choose(
        line, prefix=prefix, prefix_group=group_id, main_number=directory.main_number(fleet_id)
    )
    plain = chosen.kind is PresentedKind.LINE and not (chosen.per_call or chosen.prefix_locked)
    return None if plain else chosen


@dataclass
class RingOnward:
    """The originating visit's one leg to the translated number. The network decides how
    long it rings (the callee's services run on its own visit), so there is no ring limit:
    only the setup guard until the leg is heard of. The leg's failure ends the call with its
    own cause, passed back to the caller."""

    number: E164
    trunk: str | None = None  # a fixed number of the caller's fleet, reached over its trunk
    state: CallState = CallState.RINGING
    leg: Leg | None = None
    guard: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        call.note(CallEventKind.OFFERED, to_number=self.number.value, detail=_shown(call))
        self.leg = call.originate(self.number, trunk=self.trunk)
        self.guard = call.after(call.limits.setup_timeout, self._never_heard_of)

    def _never_heard_of(self) -> None:
        assert self.leg is not None
        self._call.cancel(self.leg)
        self._call.finish(CallOutcome.UNREACHABLE, ReleaseCause.UNREACHABLE)

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if leg is not self.leg:
            return
        call.stop(self.guard)
        if isinstance(event, LegAlerting):
            return
        if isinstance(event, LegAnswered):
            call.connect(leg)
        elif isinstance(event, LegBusy):
            call.finish(CallOutcome.BUSY, ReleaseCause.BUSY)
        elif isinstance(event, LegRejected):
            call.finish(CallOutcome.REJECTED, ReleaseCause.REJECTED)
        else:
            call.finish(CallOutcome.UNREACHABLE, ReleaseCause.UNREACHABLE)

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


def _shown(call: Call) -> dict[str, object] | None:
    shown: dict[str, object] = call.presented.detail() if call.presented else {}
    if call.presentation is Presentation.RESTRICTED:
        shown["presentation"] = Presentation.RESTRICTED.value
    return shown or None
