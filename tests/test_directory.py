"""The routing cache applies committed changes in memory, from the typed changes the
services publish; whatever happens, it must hold exactly what a fresh load from the database
would."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.linesettings import CALL_WAITING, CLIR, PABX_OPTION
from fleet.core.values import Actor, ForwardingKind, Language, RingMode
from fleet.services.contacts import ContactInput
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.world import PASSWORD, World, build_world

Step = Callable[[], Awaitable[object]]


def state(directory: CachedDirectory) -> dict[str, Any]:
    """Everything the directory holds, indices included (white box on purpose)."""
    fleets = {}
    for fleet_id, snap in directory._fleets.items():
        fleets[fleet_id] = {
            "fleet": snap.fleet,
            "lines": snap.lines,
            "fixed": snap.fixed,
            "groups": snap.groups,
            "shorts": snap.shorts,
            "member_of": {k: v for k, v in snap.member_of.items() if v},
            "contacts": snap.contacts,
            "abbreviated": snap.abbreviated,
        }
    return {
        "fleets": fleets,
        "lines": directory._lines,
        "fixed": directory._fixed,
        "groups": directory._groups,
        "group_ids": directory._group_ids,
        "line_ids": directory._line_ids,
    }


async def fresh(services: Services) -> dict[str, Any]:
    directory = CachedDirectory(services=services)
    await directory.load_all()
    return state(directory)


class Walk:
    """Random changes through the services, as managers, employees and handsets make them."""

    def __init__(self, services: Services, actor: Actor, world: World, rng: random.Random):
        self.s, self.actor, self.world, self.rng = services, actor, world, rng
        self.line_ids = [line.id for line in world.lines]
        self.group_ids: list[int] = []
        self.fixed_ids = [world.fixed.id]
        self.scratch: list[int] = []  # fleets made to be deleted
        self.serial = 0

    def line(self) -> int:
        return self.rng.choice(self.line_ids)

    def group(self) -> int:
        return self.rng.choice(self.group_ids) if self.group_ids else 0

    def fixed(self) -> int:
        return self.rng.choice(self.fixed_ids) if self.fixed_ids else 0

    def short(self) -> str | None:
        return self.rng.choice([None, f"{self.rng.randrange(2000, 2030)}"])

    def steps(self) -> list[tuple[int, Step]]:
        """(weight, step): changes of lines and memberships often, deletions seldom."""
        s, a, r = self.s, self.actor, self.rng
        kinds = list(ForwardingKind)
        weighted = [
            lambda: s.lines.update(
                a,
                self.line(),
                employee_name=f"Nom {r.randrange(100)}",
                short_number=self.short(),
                language=r.choice(list(Language)),
            ),
            lambda: s.lines.update(
                a, self.line(), settings={CALL_WAITING: r.random() < 0.5, CLIR: r.random() < 0.5}
            ),
            lambda: s.lines.update(a, self.line(), settings={PABX_OPTION: r.random() < 0.7}),
            lambda: s.forwarding.set(
                a,
                self.line(),
                r.choice(kinds),
                destination=r.choice(["0145678910", "0611000003", "0033611000004"]),
                active=r.random() < 0.8,
            ),
            lambda: s.forwarding.deactivate(a, self.line(), r.choice(kinds)),
            lambda: s.forwarding.activate(a, self.line(), r.choice(kinds)),
            lambda: s.forwarding.erase(a, self.line(), r.choice(kinds)),
            lambda: s.forwarding.disable_all(a, self.line()),
            lambda: s.incoming.save(
                a,
                self.line(),
                entries=r.sample(["0145678910", "0611000004", "0611000005"], r.randint(1, 3)),
                mode=r.choice(list(RingMode)),
            ),
            lambda: s.incoming.update(a, self.line(), active=r.random() < 0.5),
            self.create_group,
            lambda: s.groups.update(a, self.group(), name=f"G{r.randrange(50)}"),
            lambda: s.groups.update(a, self.group(), short_number=self.short()),
            lambda: s.groups.add_member(a, self.group(), self.line(), connected=r.random() < 0.5),
            lambda: s.groups.remove_member(a, self.group(), self.line()),
            lambda: s.groups.set_connected(a, self.group(), self.line(), r.random() < 0.5),
            lambda: s.groups.disconnect_all(a, self.group()),
            self.reorder,
            self.delete_group,
            self.create_line,
            self.delete_line,
            self.add_fixed,
            lambda: s.fleets.update_fixed_number(
                a, self.fixed(), label=f"Poste {r.randrange(50)}", short_number=self.short()
            ),
            self.remove_fixed,
            lambda: s.fleets.update(
                a,
                self.world.fleet.id,
                name=f"Taxis {r.randrange(50)}",
                language=r.choice(list(Language)),
                timezone=r.choice(["Europe/Paris", "America/Martinique"]),
            ),
            self.scratch_fleet,
            self.account,
            self.contact,
        ]
        weights = [
            6,
            4,
            1,
            4,
            2,
            2,
            1,
            1,
            3,
            2,
            2,
            2,
            2,
            6,
            2,
            6,
            1,
            2,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            1,
            3,
        ]
        return list(zip(weights, weighted, strict=True))

    async def step(self, steps: list[tuple[int, Step]]) -> None:
        [chosen] = self.rng.choices([s for _, s in steps], weights=[w for w, _ in steps])
        await chosen()

    async def contact(self) -> object:
        """A directory contact added, its abbreviated number changed, or removed."""
        fleet_id = self.world.fleet.id
        held = await self.s.contacts.in_fleet(fleet_id)
        abbreviated = self.rng.choice(["", "7001", "7002", "7003"])
        roll = self.rng.random()
        if held and roll < 0.3:
            await self.s.contacts.delete(self.actor, self.rng.choice(held).id)
            return None
        if held and roll < 0.6:
            chosen = self.rng.choice(held)
            return await self.s.contacts.update(self.actor, chosen.id, abbreviated=abbreviated)
        self.serial += 1
        new = ContactInput(name=f"Contact {self.serial}", number=f"04780{self.serial:05d}")
        return await self.s.contacts.create(
            self.actor, fleet_id, replace(new, abbreviated=abbreviated)
        )

    async def create_group(self) -> object:
        self.serial += 1
        members = self.rng.sample(self.line_ids, self.rng.randint(0, 3))
        group = await self.s.groups.create(
            self.actor,
            self.world.fleet.id,
            number=f"06099{self.serial:05d}",
            name=f"Groupe {self.serial}",
            user_code="1703",
            admin_code="2202",
            short_number=self.short(),
            members=members,
        )
        self.group_ids.append(group.id)
        return group

    async def reorder(self) -> object:
        group = await self.s.groups.get(self.group())
        ids = [m.line_id for m in group.members]
        self.rng.shuffle(ids)
        return await self.s.groups.reorder(self.actor, group.id, ids)

    async def delete_group(self) -> object:
        if len(self.group_ids) < 3:
            return await self.create_group()
        group_id = self.group()
        await self.s.groups.delete(self.actor, group_id)
        self.group_ids.remove(group_id)
        return None

    async def create_line(self) -> object:
        self.serial += 1
        line = await self.s.lines.create(
            self.actor,
            self.world.fleet.id,
            msisdn=f"06120{self.serial:05d}",
            employee_name=f"Nouveau {self.serial}",
            short_number=self.short(),
        )
        self.line_ids.append(line.id)
        return line

    async def delete_line(self) -> object:
        line_id = self.line()
        await self.s.lines.delete(self.actor, line_id)
        self.line_ids.remove(line_id)
        return None

    async def add_fixed(self) -> object:
        self.serial += 1
        fixed = await self.s.fleets.add_fixed_number(
            self.actor,
            self.world.fleet.id,
            number=f"014600{self.serial:04d}",
            label=f"Poste {self.serial}",
            trunk="trunk-siege",
            short_number=self.short(),
        )
        self.fixed_ids.append(fixed.id)
        return fixed

    async def remove_fixed(self) -> object:
        fixed_id = self.fixed()
        await self.s.fleets.remove_fixed_number(self.actor, fixed_id)
        self.fixed_ids.remove(fixed_id)
        return None

    async def scratch_fleet(self) -> object:
        """A fleet with a line, a group and a fixed number, or the deletion of one."""
        if self.scratch and self.rng.random() < 0.5:
            await self.s.fleets.delete(self.actor, self.scratch.pop())
            return None
        self.serial += 1
        fleet = await self.s.fleets.create(self.actor, name=f"Flotte {self.serial}")
        self.scratch.append(fleet.id)
        line = await self.s.lines.create(
            self.actor, fleet.id, msisdn=f"06130{self.serial:05d}", employee_name="Seul"
        )
        await self.s.groups.create(
            self.actor,
            fleet.id,
            number=f"06131{self.serial:05d}",
            name="Seuls",
            user_code="1703",
            admin_code="2202",
            members=[line.id],
        )
        await self.s.trunks.add(self.actor, fleet.id, name="t1", host="192.0.2.1")
        return await self.s.fleets.add_fixed_number(
            self.actor, fleet.id, number=f"014700{self.serial:04d}", label="A", trunk="t1"
        )

    async def account(self) -> object:
        """Accounts route nothing: the cache is left as it is (an employee's account goes
        with its line)."""
        self.serial += 1
        return await self.s.accounts.create_employee(
            self.actor, login=f"salarie{self.serial}", password=PASSWORD, line_id=self.line()
        )


@pytest.mark.parametrize("seed", range(4))
async def test_changes_applied_in_memory_match_a_fresh_load(
    services: Services, actor: Actor, seed: int
) -> None:
    world = await build_world(services, actor)
    directory = await CachedDirectory.open(services=services)
    loads = directory.fleet_loads
    try:
        walk = Walk(services, actor, world, random.Random(seed))
        steps = walk.steps()
        for _ in range(3):
            with contextlib.suppress(DomainError):  # its short number may be taken
                await walk.create_group()
        applied = 0
        for number in range(150):
            try:
                await walk.step(steps)
                applied += 1
            except DomainError:
                continue  # refused: nothing changed
            if number % 20 == 19:
                assert state(directory) == await fresh(services), f"after step {number}"
        assert state(directory) == await fresh(services)
        assert applied > 75  # most steps were changes, not refusals
        assert directory.fleet_loads == loads  # every change applied in memory: none read
    finally:
        directory.close()


async def test_a_change_committed_while_its_fleet_is_read_is_not_lost(
    services: Services, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(services, actor)
    directory = await CachedDirectory.open(services=services)
    read = services.lines.services_in_fleet
    has_read, go_on = asyncio.Event(), asyncio.Event()

    async def slow_read(fleet_id: int) -> list[model.LineServices]:
        found = await read(fleet_id)  # what the database held before the changes below
        has_read.set()
        await go_on.wait()
        return found

    try:
        monkeypatch.setattr(services.lines, "services_in_fleet", slow_read)
        loading = asyncio.get_running_loop().create_task(directory.load_fleet(world.fleet.id))
        await has_read.wait()
        await services.forwarding.set(
            actor, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
        )
        await services.lines.update(actor, world.line(1).id, short_number="2901")
        go_on.set()
        await loading
        monkeypatch.undo()
        assert state(directory) == await fresh(services)
        assert directory.short_number(world.fleet.id, "2901") == world.line(1).msisdn
    finally:
        directory.close()


async def test_a_fleet_the_cache_does_not_hold_is_read_on_its_next_change(
    services: Services, actor: Actor
) -> None:
    world = await build_world(services, actor)
    directory = await CachedDirectory.open(services=services)
    try:
        directory.drop_fleet(world.fleet.id)  # as if it had not been loaded yet
        loads = directory.fleet_loads
        await services.lines.update(actor, world.line(0).id, employee_name="Lue à nouveau")
        assert directory.fleet_loads == loads + 1
        assert state(directory) == await fresh(services)
    finally:
        directory.close()
