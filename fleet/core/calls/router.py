"""Where a call to a number goes (DESIGN §4): one code path for every way a call
reaches a line — direct, forwarded, from a list or a group.

A call to a fleet line, in this order (issue 16 item 2: a rule with criteria applies only
when one of its active criteria matches — tried in order, each with its schedule open at
the engine clock's now, then its caller filter accepting the caller — and the record notes
each decision as a ``criteria`` event naming the rule, the criterion that matched (or each
tried), the schedule and the range; a rule without criteria always applies):

1. the line met twice: the call stops (forwarding loop); the line bars incoming calls
   (BAIC, :mod:`fleet.core.calls.restricted`): the caller hears "call barred";
2. unconditional forwarding, active, its criteria matching and its destination allowed by
   the line's restriction profile: forward at once;
3. do-not-disturb, on and its criteria matching (e.g. the opposite of the office hours):
   the busy treatment — busy forwarding when active and its criteria match, else busy —
   unless the line exempts the caller, a colleague;
4. no PABX option: plain delivery;
5. the incoming-call list, active and its criteria matching: ring it (seed 001's selective
   simultaneous or sequential ring); criteria not matching: go on to 6;
6. ring the line; busy, no-reply and not-reachable forwarding each apply when active and
   their criteria match (decided when the forwarding comes into play: the no-reply one when
   the line starts ringing), else busy / no answer at the network's limit / unreachable.

A call to a group: the group's criteria decide first (``callgroups/hunt.py``): not matching,
the group's no-answer rule applies at once."""

from __future__ import annotations

from fleet.core.calls.call import Call
from fleet.core.calls.dnd import held_off
from fleet.core.calls.events import ReleaseCause
from fleet.core.calls.hunting import GroupHunting
from fleet.core.calls.phases import (
    RingLine,
    RingList,
    allowed_rule,
    applying_forwarding,
    follow,
    forward_or_finish,
)
from fleet.core.calls.ports import Directory, ExternalTarget, FixedTarget, GroupTarget, LineTarget
from fleet.core.calls.restricted import barred_incoming
from fleet.core.criteria import CriteriaTarget
from fleet.core.dialling import Presentation
from fleet.core.linesettings import PABX_OPTION
from fleet.core.numbering import E164
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind


class Router:
    def __init__(self, *, directory: Directory, groups: GroupHunting) -> None:
        self._directory = directory
        self._groups = groups

    def deliver(self, call: Call, number: E164) -> None:
        target = self._directory.resolve(number)
        if isinstance(target, LineTarget):
            self._to_line(call, target)
        elif isinstance(target, GroupTarget):
            self._groups.hunt(call, target.group)
        elif isinstance(target, FixedTarget):
            _presenting(call, number)
            trunk, reachable = target.fixed.trunk, target.trunk_state.reachable
            call.enter(RingLine(number=number, services=None, trunk=trunk, reachable=reachable))
        else:
            assert isinstance(target, ExternalTarget)
            _presenting(call, number)
            call.enter(RingLine(number=number, services=None))

    def _to_line(self, call: Call, target: LineTarget) -> None:
        services = target.services
        line = services.line
        if line.id in call.visited:
            call.note(CallEventKind.OFFERED, to_number=line.msisdn.value, detail={"loop": True})
            call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LOOP)
            return
        call.visited += (line.id,)
        call.note(CallEventKind.OFFERED, to_number=line.msisdn.value, detail=_shown(call))
        if barred_incoming(call, line):  # BAIC: before any of the line's services
            return
        pabx = PABX_OPTION.of(line)
        unconditional = applying_forwarding(call, services, ForwardingKind.UNCONDITIONAL)
        if unconditional is not None and allowed_rule(call, line, unconditional):  # step 2
            follow(call, services, unconditional)
            return
        if held_off(call, services, self._directory):  # do-not-disturb: the busy treatment
            forward_or_finish(
                call, services, ForwardingKind.BUSY, CallOutcome.BUSY, ReleaseCause.BUSY
            )
            return
        if not pabx:  # step 4: plain delivery
            call.enter(RingLine(number=line.msisdn, services=None))
            return
        plan = services.incoming_list
        if (
            plan
            and plan.active
            and plan.entries
            and call.applies(
                services.criteria_of(CriteriaTarget.INCOMING_LIST),
                CriteriaTarget.INCOMING_LIST,
                fleet_id=line.fleet_id,
                owner=line.id,
                to_number=line.msisdn.value,
            )
        ):  # step 5
            call.enter(RingList(owner=services, plan=plan, directory=self._directory))
            return
        call.enter(RingLine(number=line.msisdn, services=services))  # step 6


def _shown(call: Call) -> dict[str, object] | None:
    """The record says when the line was offered a call with the caller's number hidden."""
    if call.presentation is Presentation.RESTRICTED:
        return {"presentation": Presentation.RESTRICTED.value}
    return None


def _presenting(call: Call, number: E164) -> None:
    """The record says what a line's call outside its fleet presents, when it is not simply
    the line (:mod:`fleet.core.presented`)."""
    if call.presented is not None:
        shown = call.presented.detail()
        if call.presentation is Presentation.RESTRICTED:
            shown["presentation"] = Presentation.RESTRICTED.value
        call.note(CallEventKind.OFFERED, to_number=number.value, detail=shown)
