"""The fleet of ``sip_calls.py`` and its injection file: which numbers the S-CSCF (SIPp) calls.

The fleet is seeded through the services (``fleet.seed``: lines, fixed numbers, forwardings,
incoming lists) with no seeded group; the bench adds its own call groups (linear hunting, no
inter-call delay, every member connected), so that a group call rings one member that answers.
The core's side of the handsets (``sipp/handset.xml``) answers every INVITE except those for a
number ending in :data:`BUSY_DIGIT`, which it answers 486. The calls are then drawn among:

- **direct**: a line with no active forwarding and no active incoming list, not busy: it rings
  and answers;
- **unconditional**: a line forwarding unconditionally to a direct line: 181, then that line;
- **busy**: a busy line (ending in the busy digit) forwarding on busy, and nothing before that,
  to a direct line: its leg gets 486, then 181 and the destination's leg;
- **no reply**: a line forwarding on no reply (and not unconditionally): it answers before its
  timer (5–30 s) runs out, so the forwarding is armed and cancelled, never followed;
- **group**: one of the bench's groups, whose members are direct lines.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from fleet.core import model
from fleet.core.values import Actor, Channel, DistributionMode, ForwardingKind
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory

BUSY_DIGIT = "7"
CALLER = "+33699000009"  # never a seeded number: seed mobiles are 06[01245678]…
BENCH_ACTOR = Actor(name="bench", channel=Channel.SEED)


class Kind(Enum):
    DIRECT = "direct"
    UNCONDITIONAL = "unconditional forwarding"
    BUSY = "busy forwarding"
    NO_REPLY = "no-reply forwarding (armed, not followed)"
    GROUP = "group"


MIX: dict[Kind, float] = {
    Kind.DIRECT: 0.55,
    Kind.UNCONDITIONAL: 0.15,
    Kind.BUSY: 0.10,
    Kind.NO_REPLY: 0.10,
    Kind.GROUP: 0.10,
}


@dataclass(frozen=True, slots=True)
class Callees:
    """The numbers (+E164) of each kind the injection file draws from."""

    by_kind: dict[Kind, list[str]]

    def summary(self) -> str:
        return ", ".join(f"{len(v)} {k.value}" for k, v in self.by_kind.items())


def _active(line: model.LineServices) -> set[ForwardingKind]:
    return {f.kind for f in line.forwardings if f.active}


def _destination(line: model.LineServices, kind: ForwardingKind) -> str | None:
    for rule in line.forwardings:
        if rule.kind is kind and rule.active and rule.destination is not None:
            return rule.destination.value
    return None


def is_busy(number: str) -> bool:
    return number.endswith(BUSY_DIGIT)


def classify(
    lines: Iterable[model.LineServices], groups: Sequence[str], members: Set[str] = frozenset()
) -> Callees:
    """Sorts the fleet's lines into the kinds of call above (a line fitting none is left out);
    ``groups``: the bench's group numbers; ``members``: their members' numbers, kept for the
    group calls (a member in a call is skipped by the hunt) and out of the direct calls."""
    lines = list(lines)
    direct = {
        line.line.msisdn.value
        for line in lines
        if not _active(line)
        and not (line.incoming_list and line.incoming_list.active)
        and not is_busy(line.line.msisdn.value)
    }
    by_kind: dict[Kind, list[str]] = {kind: [] for kind in Kind}
    by_kind[Kind.DIRECT] = sorted(direct - members)
    by_kind[Kind.GROUP] = list(groups)
    for line in lines:
        number, active = line.line.msisdn.value, _active(line)
        if line.incoming_list and line.incoming_list.active:
            continue
        if ForwardingKind.UNCONDITIONAL in active:
            if _destination(line, ForwardingKind.UNCONDITIONAL) in direct:
                by_kind[Kind.UNCONDITIONAL].append(number)
        elif ForwardingKind.BUSY in active and is_busy(number):
            if _destination(line, ForwardingKind.BUSY) in direct:
                by_kind[Kind.BUSY].append(number)
        elif ForwardingKind.NO_REPLY in active and not is_busy(number):
            by_kind[Kind.NO_REPLY].append(number)
    return Callees({kind: sorted(numbers) for kind, numbers in by_kind.items()})


def injection_rows(callees: Callees, rows: int, seed: int) -> list[str]:
    """``rows`` called numbers in the proportions of :data:`MIX` (renormalised over the kinds
    that have numbers), each kind's numbers taken in turn, the kinds in a shuffled order."""
    rng = random.Random(seed)
    kinds = [kind for kind in MIX if callees.by_kind[kind]]
    if not kinds:
        raise ValueError("no fleet number fits any kind of call")
    weights = [MIX[kind] for kind in kinds]
    drawn = rng.choices(kinds, weights=weights, k=rows)
    turns = dict.fromkeys(kinds, 0)
    numbers = []
    for kind in drawn:
        pool = callees.by_kind[kind]
        numbers.append(pool[turns[kind] % len(pool)])
        turns[kind] += 1
    return numbers


def write_injection(path: Path, numbers: Sequence[str], caller: str = CALLER) -> None:
    """A SIPp injection file read in order: field 0 the called number, field 1 the caller."""
    text = "SEQUENTIAL\n" + "".join(f"{number};{caller};\n" for number in numbers)
    path.write_text(text)


@dataclass(frozen=True, slots=True)
class Groups:
    numbers: list[str]
    members: frozenset[str]


async def add_groups(services: Services, fleet_id: int, count: int, size: int) -> Groups:
    """``count`` groups of ``size`` direct lines each (linear, no inter-call delay, all
    connected), numbered 07 39 …"""
    table = CachedDirectory(services=services)
    await table.load_all()
    members = classify(table.all_lines(), []).by_kind[Kind.DIRECT]
    by_number = {line.line.msisdn.value: line.line for line in table.all_lines()}
    eligible = [by_number[n] for n in members if by_number[n].pabx_option]
    numbers: list[str] = []
    taken: set[str] = set()
    for index in range(count):
        chosen = eligible[index * size : (index + 1) * size]
        if len(chosen) < size:
            break
        group = await services.groups.create(
            BENCH_ACTOR,
            fleet_id,
            number=f"0739{index:06d}",
            name=f"Bench {index + 1}",
            user_code="1234",
            admin_code="4321",
            intercall_delay=0,
            distribution=DistributionMode.LINEAR,
            members=[line.id for line in chosen],
        )
        for line in chosen:
            await services.groups.set_connected(BENCH_ACTOR, group.id, line.id, True)
        numbers.append(group.number.value)
        taken.update(line.msisdn.value for line in chosen)
    return Groups(numbers, frozenset(taken))


async def callees(services: Services, groups: Groups) -> Callees:
    table = CachedDirectory(services=services)
    await table.load_all()
    return classify(table.all_lines(), groups.numbers, groups.members)
