"""The lines page's keyset paging: every line once, in name order, forwards and backwards,
whatever the page's position; a search's count stops at a cap; a cursor not ours is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet import seed as seed_module
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor
from fleet.db.engine import session_factory
from fleet.services import linebrowse
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.linebrowse import Cursor
from fleet.services.lines import COUNT_TTL, NewLine
from fleet.services.trunksecrets import SecretBox
from tests.conftest import TRUNK_SECRET_KEY

NAMES = ["Zoé", "alice", "Alice", "Bruno", "bruno", "Céline", "Alice", "Dan", "Eve", "Fanny"]


async def _fleet(services: Services, actor: Actor, names: list[str]) -> int:
    fleet = await services.fleets.create(actor, name="Pages", short_number_length=4)
    await services.lines.create_many(
        actor,
        fleet.id,
        [
            NewLine(
                msisdn=f"06120000{index:02d}", employee_name=name, short_number=f"{3000 + index}"
            )
            for index, name in enumerate(names)
        ],
    )
    return fleet.id


async def _walk_forwards(services: Services, fleet_id: int, search: str = "") -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = await services.lines.browse(fleet_id, search=search, after=after, limit=3)
        seen += [line.id for line in page.items]
        if page.after is None:
            return seen
        after = page.after


async def test_walking_the_pages_forwards_gives_every_line_once_in_name_order(
    services: Services, actor: Actor
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    walked = await _walk_forwards(services, fleet_id)
    everyone = await services.lines.search(fleet_id, limit=100)
    assert walked == [line.id for line in everyone.items]
    assert len(set(walked)) == len(NAMES)  # three "Alice"s and two "bruno"s: ties by id


async def test_walking_back_from_the_last_page_gives_the_same_lines(
    services: Services, actor: Actor
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    forwards = await _walk_forwards(services, fleet_id)
    page = await services.lines.browse(
        fleet_id, after=Cursor.of(await services.lines.get(forwards[-4])), limit=3
    )
    assert [line.id for line in page.items] == forwards[-3:] and page.after is None
    backwards: list[int] = []
    while True:
        backwards = [line.id for line in page.items] + backwards
        if page.before is None:
            break
        page = await services.lines.browse(fleet_id, before=page.before, limit=3)
    assert backwards == forwards


async def test_the_first_page_has_no_way_back_and_the_last_no_way_on(
    services: Services, actor: Actor
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    first = await services.lines.browse(fleet_id, limit=3)
    assert first.before is None and first.after is not None
    assert (first.total, first.more) == (len(NAMES), False)
    whole = await services.lines.browse(fleet_id, limit=50)
    assert whole.before is None and whole.after is None and len(whole.items) == len(NAMES)


async def test_a_search_is_paged_and_matches_names_without_regard_to_case(
    services: Services, actor: Actor
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    walked = await _walk_forwards(services, fleet_id, search="ALI")
    found = [await services.lines.get(line_id) for line_id in walked]
    assert [line.employee_name.lower() for line in found] == ["alice"] * 3
    by_short = await services.lines.browse(fleet_id, search="3004")
    assert [line.employee_name for line in by_short.items] == ["bruno"]
    by_number = await services.lines.browse(fleet_id, search="06 12 00 00 09")
    assert [line.employee_name for line in by_number.items] == ["Fanny"]
    nothing = await services.lines.browse(fleet_id, search="%_")
    assert (nothing.items, nothing.total, nothing.after, nothing.before) == ((), 0, None, None)


async def test_a_search_counts_its_matches_up_to_the_cap(
    services: Services, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    monkeypatch.setattr(linebrowse, "COUNT_CAP", 2)
    many = await services.lines.browse(fleet_id, search="e")  # the three Alices, Céline, Eve
    assert (many.total, many.more) == (2, True)
    browsing = await services.lines.browse(fleet_id)  # the whole fleet is counted exactly
    assert (browsing.total, browsing.more) == (len(NAMES), False)


async def test_an_unknown_fleet_is_not_found(services: Services) -> None:
    with pytest.raises(DomainError) as refused:
        await services.lines.browse(999_999)
    assert refused.value.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize("text", ["", "!!", "WzEsMl0", "eyJhIjoxfQ", "WyJhIiwgLTFd", "é"])
def test_a_cursor_not_ours_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        Cursor.decode(text, field="after")
    assert refused.value.code is ErrorCode.CURSOR_INVALID
    assert refused.value.field == "after"


def test_a_cursor_survives_its_text_form() -> None:
    cursor = Cursor("Émilie d'Artagnan", 42)
    assert Cursor.decode(cursor.encode()) == cursor


async def test_statistics_are_refreshed_after_a_bulk_load(
    services: Services, actor: Actor, engine: AsyncEngine
) -> None:
    await _fleet(services, actor, NAMES)
    await services.lines.analyze()
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            analyzed, vacuumed = (
                await conn.execute(
                    text(
                        "SELECT last_analyze, last_vacuum FROM pg_stat_user_tables "
                        "WHERE relname = 'lines'"
                    )
                )
            ).one()
            assert analyzed is not None
            assert vacuumed is not None  # the visibility map set: index-only scans stay so
        else:
            stats = await conn.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'lines'"))
            assert stats


@pytest.mark.parametrize(
    ("numbers", "length"), [(13, 4), (8000, 4), (8001, 5), (80_000, 5), (80_001, 6), (200_200, 6)]
)
def test_the_seeder_plans_short_numbers_long_enough_for_the_fleet(
    numbers: int, length: int
) -> None:
    assert seed_module._short_length(numbers) == length


async def test_the_fleets_line_count_follows_this_processs_changes_at_once_and_others_soon(
    services: Services, actor: Actor, engine: AsyncEngine, clock: ManualClock
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    assert (await services.lines.browse(fleet_id)).total == len(NAMES)
    mine = NewLine(msisdn="0612000050", employee_name="Gaston", short_number="3050")
    await services.lines.create_many(actor, fleet_id, [mine])
    assert (await services.lines.browse(fleet_id)).total == len(NAMES) + 1
    other_process = Services.build(
        context=ServiceContext(
            sessions=session_factory(engine), clock=clock, policy=NumberPolicy()
        ),
        trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY),
    )
    theirs = NewLine(msisdn="0612000051", employee_name="Hugo", short_number="3051")
    await other_process.lines.create_many(actor, fleet_id, [theirs])
    assert (await services.lines.browse(fleet_id)).total == len(NAMES) + 1  # counted before
    assert len((await services.lines.browse(fleet_id, limit=50)).items) == len(NAMES) + 2
    clock.advance(COUNT_TTL.total_seconds())
    assert (await services.lines.browse(fleet_id)).total == len(NAMES) + 2


async def test_a_searchs_count_is_kept_while_paging_and_follows_this_processs_changes(
    services: Services, actor: Actor, engine: AsyncEngine, clock: ManualClock
) -> None:
    fleet_id = await _fleet(services, actor, NAMES)
    assert (await services.lines.browse(fleet_id, search="ali")).total == 3
    other_process = Services.build(
        context=ServiceContext(
            sessions=session_factory(engine), clock=clock, policy=NumberPolicy()
        ),
        trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY),
    )
    theirs = NewLine(msisdn="0612000051", employee_name="Alix", short_number="3051")
    await other_process.lines.create_many(actor, fleet_id, [theirs])
    paged = await services.lines.browse(fleet_id, search="ali", limit=50)
    assert paged.total == 3 and len(paged.items) == 4  # the page is read, the count kept
    assert (await services.lines.browse(fleet_id, search="ALI")).total == 4  # another search
    clock.advance(COUNT_TTL.total_seconds())
    assert (await services.lines.browse(fleet_id, search="ali")).total == 4
    (alix,) = [line for line in paged.items if line.employee_name == "Alix"]
    await services.lines.update(actor, alix.id, employee_name="Xavier")  # this process: at once
    assert (await services.lines.browse(fleet_id, search="ali")).total == 3
