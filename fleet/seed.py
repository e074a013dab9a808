"""Deterministic fake fleets (Faker fr_FR) created through the services, for demos,
tests and benchmarks. The same seed gives the same fleets, names and numbers."""

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
from fleet.services.lines import NewLine

SEED_ACTOR = Actor(name="seed", channel=Channel.SEED)
BATCH = 1000
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
    short_length = _short_length(line_count + group_count)
    company = faker.company()
    domain = f"{_slug(company).replace('.', '-')[:40] or 'entreprise'}.fr"
    fleet = await services.fleets.create(
        actor, name=company, short_number_length=short_length, timezone="Europe/Paris"
    )
    report.fleet_ids.append(fleet.id)
    first_short = 10 ** (short_length - 1)

    trunk = await services.trunks.add(actor, fleet.id, name=TRUNK, host=f"pbx.{domain}")
    fixed = []
    for index in range(max(1, line_count // 50)):
        fixed.append(
            await services.fleets.add_fixed_number(
                actor,
                fleet.id,
                number=mint.fixed(),
                label=f"Poste fixe {index + 1}",
                trunk=trunk.trunk.name,
            )
        )
    report.fixed_numbers += len(fixed)

    created = []
    for start in range(0, line_count, BATCH):
        batch = []
        for index in range(start, min(line_count, start + BATCH)):
            name = faker.name()
            batch.append(
                NewLine(
                    msisdn=mint.mobile(),
                    employee_name=name,
                    short_number=str(first_short + index),
                    email=f"{_slug(name)}@{domain}",
                    settings={
                        PABX_OPTION: rng.random() < 0.9,
                        CALL_WAITING: rng.random() < 0.7,
                    },
                )
            )
        created.extend(await services.lines.create_many(actor, fleet.id, batch))
    report.lines += len(created)

    pabx = [line for line in created if PABX_OPTION.of(line)]
    kinds = list(ForwardingKind)
    for line in pabx:
        if rng.random() < 0.3:
            kind = rng.choice(kinds)
            target = rng.choice(fixed).number if rng.random() < 0.5 else rng.choice(created).msisdn
            if target == line.msisdn:
                continue
            await services.forwarding.set(
                actor,
                line.id,
                kind,
                destination=target.national_digits(),
                active=rng.random() < 0.8,
                no_reply_timer=rng.choice([10, 15, 20, 25, 30])
                if kind is ForwardingKind.NO_REPLY
                else None,
            )
            report.forwardings += 1
        if rng.random() < 0.1:
            others = rng.sample(created, k=min(2, len(created)))
            entries = list(
                dict.fromkeys([line.msisdn, rng.choice(fixed).number] + [o.msisdn for o in others])
            )
            await services.incoming.save(
                actor,
                line.id,
                entries=[e.national_digits() for e in entries[:5]],
                mode=rng.choice(list(RingMode)),
                ring_time=rng.choice([10, 15, 20]),
                active=rng.random() < 0.7,
            )
            report.incoming_lists += 1

    modes = list(DistributionMode)
    for index in range(group_count if pabx else 0):
        members = rng.sample(pabx, k=min(len(pabx), rng.randint(2, 10)))
        user_code = f"{rng.randrange(10**4):04d}"
        admin_code = f"{(int(user_code) + 1 + rng.randrange(9998)) % 10**4:04d}"
        group = await services.groups.create(
            actor,
            fleet.id,
            number=mint.mobile(),
            name=f"Groupe {index + 1}",
            user_code=user_code,
            admin_code=admin_code,
            queue_size=rng.randint(0, 5),
            switchover_delay=rng.choice([10, 12, 15, 20]),
            intercall_delay=rng.choice([0, 10, 30]),
            distribution=rng.choice(modes),
            short_number=str(first_short + line_count + index),
            members=[m.id for m in members],
        )
        for member in members:
            if rng.random() < 0.6:
                await services.groups.set_connected(actor, group.id, member.id, True)
        report.groups += 1
