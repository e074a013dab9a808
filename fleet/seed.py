"""Deterministic fake fleets (Faker fr_FR) for demos, tests and benchmarks: each fleet is
created through its service, then filled by one bulk import (``FleetIOService``), which
checks every row by the domain's rules. The same seed gives the same fleets, names and
numbers."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

from fleet.core.linesettings import CALL_WAITING, PABX_OPTION
from fleet.core.values import Actor, Channel, DistributionMode, ForwardingKind, RingMode
from fleet.services.container import Services
from fleet.services.fleetio_spec import (
    FixedSpec,
    FleetFile,
    Format,
    ForwardingSpec,
    GroupSpec,
    IncomingSpec,
    LineSpec,
    MemberSpec,
    TrunkSpec,
    Where,
)

SEED_ACTOR = Actor(name="seed", channel=Channel.SEED)
TRUNK = "trunk-siege"  # each fleet's trunk to its PBX


@dataclass
class SeedReport:
    fleet_ids: list[int] = field(default_factory=list)
    lines: int = 0
    fixed_numbers: int = 0
    forwardings: int = 0
    incoming_lists: int = 0
    groups: int = 0


class NumberMint:
    """Unique, valid French numbers drawn from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def mobile(self) -> str:
        return self._draw(
            lambda: f"06{self._rng.choice('01245678')}{self._rng.randrange(10**7):07d}"
        )

    def fixed(self) -> str:
        return self._draw(lambda: f"0{self._rng.randint(1, 5)}{self._rng.randrange(10**8):08d}")

    def _draw(self, make: Callable[[], str]) -> str:
        while True:
            number = make()
            if number not in self._used and phonenumbers.is_valid_number(
                phonenumbers.parse(number, "FR")
            ):
                self._used.add(number)
                return number


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_text.lower()).strip(".")


async def seed(
    services: Services,
    *,
    fleets: int,
    lines: int,
    seed: int,
    groups: int | None = None,
    actor: Actor = SEED_ACTOR,
) -> SeedReport:
    """Create ``fleets`` fleets of ``lines`` lines each, with fixed numbers, forwardings,
    incoming lists and call groups (default: one group per 20 lines)."""
    if fleets < 0 or lines < 0:
        raise ValueError("fleets and lines must be zero or more")
    faker = Faker("fr_FR")
    faker.seed_instance(seed)
    rng = random.Random(seed)
    mint = NumberMint(rng)
    report = SeedReport()
    group_count = max(1, lines // 20) if groups is None else groups
    for _ in range(fleets):
        await _seed_fleet(services, faker, rng, mint, lines, group_count, actor, report)
    if fleets and lines:
        await services.lines.analyze()  # the planner sees the fleets just made
    return report


def _short_length(numbers: int) -> int:
    """The shortest plan that holds ``numbers`` short numbers from 10…0 up, with room left."""
    for length in (4, 5):
        if numbers <= 8 * 10 ** (length - 1):
            return length
    return 6


async def _seed_fleet(
    services: Services,
    faker: Faker,
    rng: random.Random,
    mint: NumberMint,
    line_count: int,
    group_count: int,
    actor: Actor,
    report: SeedReport,
) -> None:
    """One fleet: created through its service, then everything in it drawn in memory and
    written as one bulk import (``FleetIOService.import_file``): every row is checked by
    the import's rules (number policy, short-number plan, uniqueness, forwardings, lists,
    groups), written with multi-row INSERTs in one transaction, journalled one entry per
    line, forwarding, list, fixed number, group and trunk, and announced on the change hub
    as the services do. The draws are those of the former one-call-per-change seeder: the
    same seed gives the same fleet."""
    short_length = _short_length(line_count + group_count)
    company = faker.company()
    domain = f"{_slug(company).replace('.', '-')[:40] or 'entreprise'}.fr"
    fleet = await services.fleets.create(
        actor, name=company, short_number_length=short_length, timezone="Europe/Paris"
    )
    report.fleet_ids.append(fleet.id)
    drawn = _draw_fleet(faker, rng, mint, line_count, group_count, short_length, domain)
    result = await services.fleetio.import_file(actor, fleet.id, drawn.file)
    if result.faults:  # the seeder drew something the rules refuse: a bug of the seeder
        fault = result.faults[0]
        raise SeedError(f"seeded row {fault.where} refused: {fault.error}")
    report.fixed_numbers += len(drawn.file.fixed_numbers)
    report.lines += len(drawn.file.lines)
    report.forwardings += drawn.forwardings
    report.incoming_lists += drawn.incoming_lists
    report.groups += len(drawn.file.groups)


class SeedError(RuntimeError):
    """The import refused a row the seeder drew."""


@dataclass(frozen=True, slots=True)
class _Drawn:
    file: FleetFile
    forwardings: int
    incoming_lists: int


def _draw_fleet(
    faker: Faker,
    rng: random.Random,
    mint: NumberMint,
    line_count: int,
    group_count: int,
    short_length: int,
    domain: str,
) -> _Drawn:
    first_short = 10 ** (short_length - 1)
    trunk = TrunkSpec(where=Where(path="trunks[0]"), name=TRUNK, host=f"pbx.{domain}")
    fixed = [
        FixedSpec(
            where=Where(path=f"fixed_numbers[{index}]"),
            number=mint.fixed(),
            label=f"Poste fixe {index + 1}",
            trunk=TRUNK,
        )
        for index in range(max(1, line_count // 50))
    ]
    drafts: list[_LineDraft] = []
    for index in range(line_count):
        name = faker.name()
        drafts.append(
            _LineDraft(
                msisdn=mint.mobile(),
                name=name,
                short=str(first_short + index),
                email=f"{_slug(name)}@{domain}",
                pabx=rng.random() < 0.9,
                waiting=rng.random() < 0.7,
            )
        )
    pabx = [draft for draft in drafts if draft.pabx]
    kinds = list(ForwardingKind)
    forwardings = lists = 0
    for draft in pabx:
        if rng.random() < 0.3:
            kind = rng.choice(kinds)
            target = rng.choice(fixed).number if rng.random() < 0.5 else rng.choice(drafts).msisdn
            if target == draft.msisdn:
                continue  # (and no list either: the draws of the former seeder)
            active = rng.random() < 0.8
            timer = rng.choice([10, 15, 20, 25, 30]) if kind is ForwardingKind.NO_REPLY else None
            draft.forwardings[kind] = ForwardingSpec(target, active, timer)
            forwardings += 1
        if rng.random() < 0.1:
            others = rng.sample(drafts, k=min(2, len(drafts)))
            entries = list(
                dict.fromkeys([draft.msisdn, rng.choice(fixed).number] + [o.msisdn for o in others])
            )
            mode = rng.choice(list(RingMode))
            ring_time = rng.choice([10, 15, 20])
            draft.incoming = IncomingSpec(
                entries=tuple(entries[:5]),
                mode=mode.value,
                ring_time=ring_time,
                active=rng.random() < 0.7,
            )
            lists += 1
    modes = list(DistributionMode)
    groups: list[GroupSpec] = []
    for index in range(group_count if pabx else 0):
        members = rng.sample(pabx, k=min(len(pabx), rng.randint(2, 10)))
        user_code = f"{rng.randrange(10**4):04d}"
        admin_code = f"{(int(user_code) + 1 + rng.randrange(9998)) % 10**4:04d}"
        number = mint.mobile()
        queue_size = rng.randint(0, 5)
        switchover = rng.choice([10, 12, 15, 20])
        intercall = rng.choice([0, 10, 30])
        distribution = rng.choice(modes)
        groups.append(
            GroupSpec(
                where=Where(path=f"groups[{index}]"),
                name=f"Groupe {index + 1}",
                number=number,
                user_code=user_code,
                admin_code=admin_code,
                short_number=str(first_short + line_count + index),
                queue_size=queue_size,
                switchover_delay=switchover,
                intercall_delay=intercall,
                distribution=distribution.value,
                members=tuple(MemberSpec(m.msisdn, rng.random() < 0.6) for m in members),
            )
        )
    lines = tuple(draft.spec(index) for index, draft in enumerate(drafts))
    file = FleetFile(
        format=Format.JSON,
        lines=lines,
        fixed_numbers=tuple(fixed),
        groups=tuple(groups),
        trunks=(trunk,),
    )
    return _Drawn(file=file, forwardings=forwardings, incoming_lists=lists)


@dataclass(slots=True)
class _LineDraft:
    msisdn: str
    name: str
    short: str
    email: str
    pabx: bool
    waiting: bool
    forwardings: dict[ForwardingKind, ForwardingSpec | None] = field(default_factory=dict)
    incoming: IncomingSpec | None = None

    def spec(self, index: int) -> LineSpec:
        return LineSpec(
            where=Where(path=f"lines[{index}]"),
            msisdn=self.msisdn,
            employee_name=self.name,
            short_number=self.short,
            email=self.email,
            settings={PABX_OPTION.name: self.pabx, CALL_WAITING.name: self.waiting},
            forwardings=self.forwardings,
            incoming=self.incoming,
            incoming_stated=self.incoming is not None,
        )
