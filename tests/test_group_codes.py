"""The group-code lock-out against guessing over USSD (issue 10, defect 2): failures counted
per (line, group, kind of code) and never erased by another code; the check and the count
atomic under bursts and across processes; one journal entry per lock; one answer for a wrong
code and for a right code from a line that may not use it; no internal ids in answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callgroups.codes import MAX_FAILURES
from featurecodes import texts
from featurecodes.handler import FeatureCodeHandler
from featurecodes.ussd import UssdOp, UssdRequest
from fleet.core import model
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import Actor, Language
from fleet.db.engine import create_engine, session_factory
from fleet.db.tables import CodeFailureRow
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.exchange import n
from tests.world import World, build_world, code_group

Send = Callable[..., Awaitable[str]]
ME = "0611000001"  # line 0: a member of Com (user 1703, administrative 2202)
COM_STATUS = "Groupe Com : 0/2 membres connectés."  # the answer to the administrative code
WRONG = [f"{i:04d}" for i in range(100)]  # none is a code of Com or of Dir


@dataclass
class Groups:
    com: model.CallGroup  # 2500: lines 0 and 1
    dir: model.CallGroup  # 2600: lines 1 and 2; user code 4811, administrative 9931


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


@pytest.fixture
async def groups(services: Services, actor: Actor, world: World) -> Groups:
    com = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        short_number="2500",
        members=[world.line(0).id, world.line(1).id],
    )
    other = await services.groups.create(
        actor,
        world.fleet.id,
        number="0609182237",
        name="Dir",
        short_number="2600",
        user_code="4811",
        admin_code="9931",
        members=[world.line(1).id, world.line(2).id],
    )
    return Groups(com=com, dir=other)


@pytest.fixture
async def directory(services: Services, groups: Groups) -> AsyncIterator[CachedDirectory]:
    directory = await CachedDirectory.open(services=services)
    yield directory
    directory.close()


@pytest.fixture
def handler(
    services: Services, directory: CachedDirectory, clock: ManualClock
) -> FeatureCodeHandler:
    return FeatureCodeHandler(services=services, view=directory, clock=clock)


def sender(handler: FeatureCodeHandler) -> Send:
    async def send(text: str, *, line: str = ME, op: UssdOp = UssdOp.PSSR_INDICATION) -> str:
        request = UssdRequest(msisdn=n(line), text=text, op=op, session=7)
        return (await handler.handle(request)).text

    return send


@pytest.fixture
def ussd(handler: FeatureCodeHandler) -> Send:
    return sender(handler)


async def failures(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(CodeFailureRow)) or 0)


async def lock_entries(services: Services, line: model.Line) -> int:
    journal = await services.audit.search(AuditFilter(entity="line", entity_id=str(line.id)))
    return sum(1 for e in journal.items if e.after and "codes_locked_until" in e.after)


# -- counted per (line, group, kind), never erased by another code -----------------------------


@pytest.mark.parametrize(
    ("target", "right"),
    [("2600*9931", "another group's administrative code"), ("2500*2202", "the other kind")],
)
async def test_a_known_code_interleaved_with_guesses_never_erases_them(
    ussd: Send, services: Services, world: World, target: str, right: str
) -> None:
    group, _ = target.split("*")
    answers = []
    for guess in WRONG[:48]:
        assert (await ussd("*55*2500*1703#")) == "Connecté au groupe Com."  # a code it knows
        answers.append(await ussd(f"*#56*{group}*{guess}#"))
    assert answers[:4] == [f"Code incorrect ({k} essai(s) restant(s))." for k in (4, 3, 2, 1)]
    assert all("bloqués" in a for a in answers[4:]), right  # locked at the 5th guess, for good
    assert "bloqués" in await ussd(f"*#56*{target}#")  # the right code comes too late
    assert await lock_entries(services, world.line(0)) == 1


async def test_a_lock_holds_one_group_and_one_kind_of_code(
    ussd: Send, services: Services, world: World, clock: ManualClock
) -> None:
    for guess in WRONG[:MAX_FAILURES]:
        await ussd(f"*#56*2500*{guess}#", line="0611000002")  # line 1, in both groups
    assert "bloqués" in await ussd("*#56*2500*2202#", line="0611000002")
    assert (await ussd("*55*2500*1703#", line="0611000002")) == "Connecté au groupe Com."
    assert (await ussd("*55*2600*4811#", line="0611000002")) == "Connecté au groupe Dir."
    assert (await ussd("*#56*2600*9931#", line="0611000002")).startswith("Groupe Dir : ")
    assert (await ussd("*#56*2500*2202#")).startswith("Groupe Com : ")  # another line
    clock.advance(15 * 60 + 1)
    assert (await ussd("*#56*2500*2202#", line="0611000002")).startswith("Groupe Com : ")


# -- atomic: a burst gets at most 5 tries, and one journal entry ------------------------------


def burst(size: int, right_at: int) -> list[str]:
    """``size`` administrative codes for Com, all wrong but the one at ``right_at``."""
    return ["*#56*2500*2202#" if i == right_at else f"*#56*2500*{WRONG[i]}#" for i in range(size)]


def assert_one_lock(answers: list[str]) -> None:
    """Of a burst of codes for one group and kind, exactly 5 were counted: 4 answered with the
    tries left, the 5th with the lock; the right one was accepted only if it came before."""
    wrong = [a for a in answers if a.startswith("Code incorrect")]
    accepted = [a for a in answers if a == COM_STATUS]
    locked = [a for a in answers if "bloqués" in a]
    assert sorted(wrong) == sorted(
        f"Code incorrect ({k} essai(s) restant(s))." for k in (4, 3, 2, 1)
    )
    assert len(accepted) <= 1
    assert len(locked) == len(answers) - len(wrong) - len(accepted)


async def test_thirty_codes_at_once_get_five_tries_and_one_lock_entry(
    ussd: Send, services: Services, world: World, engine: AsyncEngine
) -> None:
    answers = await asyncio.gather(*(ussd(text) for text in burst(30, right_at=14)))
    assert_one_lock(list(answers))
    assert await failures(engine) == MAX_FAILURES
    assert await lock_entries(services, world.line(0)) == 1
    assert "bloqués" in await ussd("*#56*2500*2202#")


async def test_two_service_processes_on_one_database_share_the_count(
    ussd: Send,
    services: Services,
    world: World,
    engine: AsyncEngine,
    database_url: str,
    clock: ManualClock,
    policy: NumberPolicy,
) -> None:
    """A second engine and service stack on the same database stands for a second process."""
    other_engine = create_engine(database_url, pool_size=5)
    context = ServiceContext(sessions=session_factory(other_engine), clock=clock, policy=policy)
    other_services = Services.build(context=context)
    other_directory = await CachedDirectory.open(services=other_services)
    try:
        other = sender(
            FeatureCodeHandler(services=other_services, view=other_directory, clock=clock)
        )
        texts_ = burst(30, right_at=20)
        answers = await asyncio.gather(
            *(ussd(t) for t in texts_[0::2]), *(other(t) for t in texts_[1::2])
        )
    finally:
        other_directory.close()
        await other_engine.dispose()
    assert_one_lock(list(answers))
    assert await failures(engine) == MAX_FAILURES
    assert await lock_entries(services, world.line(0)) == 1


# -- one answer for a wrong code and for a right code from a line that may not use it ---------


async def test_a_line_outside_the_group_gets_the_answer_of_a_wrong_code(
    ussd: Send, services: Services, world: World, groups: Groups
) -> None:
    outsider, guesser = "0611000004", "0611000005"  # lines 3 and 4: in the fleet, not in Com
    for left in (4, 3, 2, 1):
        right = await ussd("*55*2500*1703#", line=outsider)
        wrong = await ussd("*55*2500*0000#", line=guesser)
        assert right == wrong == f"Code incorrect ({left} essai(s) restant(s))."
    assert "bloqués" in await ussd("#55*2500*1703#", line=outsider)  # the 5th counts too
    assert "bloqués" in await ussd("*55*2500*1703#", line=outsider)
    assert await services.groups.get(groups.com.id) == groups.com  # nothing changed
    assert await lock_entries(services, world.line(3)) == 1


async def test_a_member_removed_during_the_menu_gets_the_answer_of_a_wrong_code(
    ussd: Send, services: Services, actor: Actor, world: World, groups: Groups
) -> None:
    await ussd("*700#")
    assert "1 Com (déconnecté)" in await ussd("2", op=UssdOp.USSR_CONFIRM)
    assert "Code de connexion" in await ussd("1", op=UssdOp.USSR_CONFIRM)
    await services.groups.remove_member(actor, groups.com.id, world.line(0).id)
    answer = await ussd("1703", op=UssdOp.USSR_CONFIRM)
    assert answer == "Code incorrect (4 essai(s) restant(s))."


# -- no internal ids in any answer ------------------------------------------------------------


class StaleView:
    """The routing cache as a request read it just before the group was deleted."""

    def __init__(self, directory: CachedDirectory, group: model.CallGroup) -> None:
        self._directory = directory
        self._group = group

    @property
    def loaded(self) -> bool:
        return True

    def by_msisdn(self, number: E164) -> model.LineServices | None:
        return self._directory.by_msisdn(number)

    def group(self, group_id: int) -> model.CallGroup | None:
        return self._group if group_id == self._group.id else None

    def groups_of_line(self, fleet_id: int, line_id: int) -> list[model.CallGroup]:
        return [self._group]

    def group_in_fleet(self, fleet_id: int, dialled: str) -> model.CallGroup | None:
        return self._group


async def test_a_group_deleted_meanwhile_is_answered_without_its_id(
    services: Services,
    actor: Actor,
    directory: CachedDirectory,
    clock: ManualClock,
    groups: Groups,
) -> None:
    stale = StaleView(directory, groups.dir)
    await services.groups.delete(actor, groups.dir.id)
    send = sender(FeatureCodeHandler(services=services, view=stale, clock=clock))
    assert await send("*55*2600*4811#", line="0611000002") == "Groupe introuvable."
    assert await send("*#56*2600*9931#", line="0611000002") == "Groupe introuvable."


async def test_a_line_outside_the_group_is_named_by_its_number_not_its_id(
    services: Services, actor: Actor, world: World, groups: Groups
) -> None:
    outsider = world.line(4)
    with pytest.raises(DomainError) as caught:
        await services.groups.set_connected(actor, groups.com.id, outsider.id, True)
    assert caught.value.message() == "La ligne 06 11 00 00 05 n'est pas membre du groupe."


@pytest.mark.parametrize("language", list(Language))
def test_what_was_not_found_is_named_by_its_kind_on_a_handset(language: Language) -> None:
    for entity in ("call_group", "line", "fixed_number"):
        shown = texts.refusal(language, not_found(entity, 4242))
        assert "4242" not in shown and entity not in shown
    assert texts.refusal(language, DomainError(ErrorCode.CODE_WRONG, left=2)).startswith(
        "Code incorrect" if language is Language.FR else "Wrong code"
    )


async def test_group_codes_never_reach_the_logs(ussd: Send) -> None:
    with structlog.testing.capture_logs() as logs:
        await ussd("*55*2500*1703#")
        await ussd("*#56*2600*9931#")
        await ussd("*56*2500*2202*0611000002#")
        await ussd("*700#")
        await ussd("2", op=UssdOp.USSR_CONFIRM)
        await ussd("1", op=UssdOp.USSR_CONFIRM)
        await ussd("1703", op=UssdOp.USSR_CONFIRM)
        await ussd("*#21#")
    typed = [entry["text"] for entry in logs if entry["event"] == "ussd"]
    assert typed == [
        "*55*2500*<code>#",
        "*#56*2600*<code>#",
        "*56*2500*<code>*0611000002#",
        "*700#",
        "2",
        "1",
        "<code>",
        "*#21#",
    ]
    assert not any(code in repr(logs) for code in ("1703", "9931", "2202"))
