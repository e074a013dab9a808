"""Where a call to a number goes (DESIGN §4): one code path for every way a call
reaches a line — direct, forwarded, from a list or a group."""

from __future__ import annotations

from fleet.core.calls.call import Call
from fleet.core.calls.dnd import held_off
from fleet.core.calls.events import ReleaseCause
from fleet.core.calls.hunting import GroupHunting
from fleet.core.calls.phases import (
    RingLine,
    RingList,
    active_forwarding,
    follow,
    forward_or_finish,
)
from fleet.core.calls.ports import Directory, ExternalTarget, FixedTarget, GroupTarget, LineTarget
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
            trunk, reachable = target.fixed.trunk, target.trunk_state.reachable
            call.enter(RingLine(number=number, services=None, trunk=trunk, reachable=reachable))
        else:
            assert isinstance(target, ExternalTarget)
            call.enter(RingLine(number=number, services=None))

    def _to_line(self, call: Call, target: LineTarget) -> None:
        services = target.services
        line = services.line
        if line.id in call.visited:
            call.note(CallEventKind.OFFERED, to_number=line.msisdn.value, detail={"loop": True})
            call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LOOP)
            return
        call.visited.add(line.id)
        call.note(CallEventKind.OFFERED, to_number=line.msisdn.value, detail=_shown(call))
        pabx = PABX_OPTION.of(line)
        unconditional = active_forwarding(
            services, ForwardingKind.UNCONDITIONAL, call.ports.voicemail
        )
        if unconditional is not None:  # step 2
            follow(call, services, unconditional)
            return
        if held_off(call, line, self._directory):  # do-not-disturb: the busy treatment
            forward_or_finish(
                call, services, ForwardingKind.BUSY, CallOutcome.BUSY, ReleaseCause.BUSY
            )
            return
        if not pabx:  # step 1: plain delivery
            call.enter(RingLine(number=line.msisdn, services=None))
            return
        plan = services.incoming_list
        if plan and plan.active and plan.entries:  # step 3
            call.enter(RingList(owner=services, plan=plan, directory=self._directory))
            return
        call.enter(RingLine(number=line.msisdn, services=services))  # step 4


def _shown(call: Call) -> dict[str, object] | None:
    """The record says when the line was offered a call with the caller's number hidden."""
    if call.presentation is Presentation.RESTRICTED:
        return {"presentation": Presentation.RESTRICTED.value}
    return None
