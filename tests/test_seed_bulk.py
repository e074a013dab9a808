"""The seeder's bulk path (``fleet.seed`` through ``FleetIOService.import_file``): the fleet
it writes keeps every rule of DESIGN §3, is journalled change by change, and reaches the
routing cache through the change hub as the services' changes do."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from fleet import seed as seed_module
from fleet.cli import main
from fleet.core.linesettings import PABX_OPTION
from fleet.db.tables import AuditRow
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.fleetio import BULK
from fleet.services.fleetio_spec import LineSpec, Where


async def test_a_seeded_fleet_keeps_every_numbering_rule(services: Services) -> None:
    report = await seed_module.seed(services, fleets=2, lines=120, seed=5, groups=6)
    assert report.lines == 240 and report.groups == 12 and len(report.fleet_ids) == 2
    everywhere: list[str] = []
    for fleet_id in report.fleet_ids:
        config = await services.fleetio.configuration(fleet_id)
        length = config.fleet.short_number_length
        shorts = [e.line.short_number for e in config.lines]
        shorts += [g.short_number for g in config.groups]
        shorts += [f.short_number for f in config.fixed_numbers if f.short_number]
        assert len(shorts) == len(set(shorts)) == 126  # every line and group has its own
        assert all(s is not None and len(s) == length and s[0] != "0" for s in shorts)
        for entry in config.lines:
            line = entry.line
            policy = services.lines.policy  # a valid mobile number, as the services ask
            assert policy.mobile(line.msisdn.national_digits()) == line.msisdn
            if not PABX_OPTION.of(line):
                assert not entry.forwardings and entry.incoming_list is None
            for rule in entry.forwardings:
                assert rule.destination != line.msisdn
        pabx = {e.line.id for e in config.lines if PABX_OPTION.of(e.line)}
        for group in config.groups:
            assert 2 <= len(group.members) <= 10
            assert {m.line_id for m in group.members} <= pabx
            assert [m.position for m in group.members] == list(range(1, len(group.members) + 1))
        everywhere += [e.line.msisdn.value for e in config.lines]
        everywhere += [f.number.value for f in config.fixed_numbers]
        everywhere += [g.number.value for g in config.groups]
    assert len(everywhere) == len(set(everywhere))  # no number held twice, across fleets


async def test_a_seeded_fleet_is_journalled_one_entry_per_change(
    services: Services, engine: AsyncEngine
) -> None:
    report = await seed_module.seed(services, fleets=1, lines=60, seed=11, groups=3)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(AuditRow.entity, func.count())
                .where(AuditRow.fleet_id == report.fleet_ids[0])
                .group_by(AuditRow.entity)
            )
        ).all()
        channels = set((await conn.scalars(select(AuditRow.channel).distinct())).all())
    journalled = Counter({entity: count for entity, count in rows})
    assert journalled["line"] == report.lines == 60
    assert journalled["forwarding"] == report.forwardings > 0
    assert journalled["incoming_list"] == report.incoming_lists
    assert journalled["fixed_number"] == report.fixed_numbers == 1
    assert journalled["call_group"] == report.groups == 3
    assert journalled["trunk"] == 1
    assert channels == {"seed"}


async def test_the_routing_cache_sees_every_seeded_line_without_reading_again(
    services: Services,
) -> None:
    directory = await CachedDirectory.open(services=services)
    try:
        report = await seed_module.seed(services, fleets=1, lines=80, seed=3, groups=4)
        fresh = CachedDirectory(services=services)
        await fresh.load_all()
        assert directory.reloads == 0
        kept = sorted(directory.all_lines(), key=lambda e: e.line.id)
        read = sorted(fresh.all_lines(), key=lambda e: e.line.id)
        assert len(kept) == report.lines == 80
        assert kept == read  # lines with their forwardings, lists and groups
        for entry in kept:
            assert directory.short_number(entry.line.fleet_id, entry.line.short_number or "")
            assert directory.resolve(entry.line.msisdn) == fresh.resolve(entry.line.msisdn)
        groups = await services.groups.in_fleet(report.fleet_ids[0])
        assert [directory.group(g.id) for g in groups] == groups
    finally:
        directory.close()


async def test_the_same_seed_draws_the_same_fleet(services: Services) -> None:
    first = await seed_module.seed(services, fleets=1, lines=40, seed=9, groups=2)
    config = await services.fleetio.configuration(first.fleet_ids[0])
    await services.fleets.delete(seed_module.SEED_ACTOR, first.fleet_ids[0])
    again = await seed_module.seed(services, fleets=1, lines=40, seed=9, groups=2)
    redone = await services.fleetio.configuration(again.fleet_ids[0])

    def shape(c: object) -> list[tuple[str, str, str | None, int, bool]]:
        assert hasattr(c, "lines")
        return sorted(
            (
                e.line.msisdn.value,
                e.line.employee_name,
                e.line.short_number,
                len(e.forwardings),
                e.incoming_list is not None,
            )
            for e in c.lines
        )

    assert shape(config) == shape(redone)
    assert [g.members for g in config.groups] != []
    assert [(g.name, g.number, len(g.members)) for g in config.groups] == [
        (g.name, g.number, len(g.members)) for g in redone.groups
    ]


async def test_a_row_the_rules_refuse_stops_the_seed_with_its_reason(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = seed_module._LineDraft.spec

    def with_a_bad_number(draft: seed_module._LineDraft, index: int) -> LineSpec:
        spec = real(draft, index)
        if index == 3:  # a fixed number where a mobile one belongs
            return LineSpec(where=Where(path="lines[3]"), msisdn="0145678910", employee_name="X")
        return spec

    monkeypatch.setattr(seed_module._LineDraft, "spec", with_a_bad_number)
    with pytest.raises(seed_module.SeedError, match=r"lines\[3\]"):
        await seed_module.seed(services, fleets=1, lines=10, seed=1, groups=1)
    fleets = await services.fleets.all()
    assert len(fleets) == 1
    assert (await services.lines.search(fleets[0].id)).total == 0  # the import wrote nothing


def test_a_large_import_refreshes_the_planners_statistics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}"
    db = ["--database-url", url]
    assert main(["db", "upgrade", *db]) == 0
    assert main(["fleet", "create", "Bulk", "--short-number-length", "5", *db]) == 0
    rows = [f"06{45000000 + i:08d};{20000 + i};Salarié {i}" for i in range(BULK)]
    csv = tmp_path / "lines.csv"
    csv.write_text("msisdn;short_number;employee_name\n" + "\n".join(rows) + "\n", "utf-8")
    assert main(["fleet", "import", "1", str(csv), *db]) == 0
    capsys.readouterr()

    async def statistics() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(
                    text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'lines'")
                )
                return int(found or 0)
        finally:
            await engine.dispose()

    assert asyncio.run(statistics()) > 0


def test_seeding_onto_a_number_already_taken_fails_with_the_reason_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mint = seed_module.NumberMint(random.Random(1))
    mint.fixed()  # the seeder draws the fleet's fixed number first, then the lines'
    taken = mint.mobile()
    url = f"sqlite+aiosqlite:///{tmp_path / 'taken.db'}"
    db = ["--database-url", url]
    assert main(["db", "upgrade", *db]) == 0
    assert main(["fleet", "create", "Autre", *db]) == 0
    csv = tmp_path / "one.csv"
    csv.write_text(f"msisdn;employee_name\n{taken};Déjà là\n", "utf-8")
    assert main(["fleet", "import", "1", str(csv), *db]) == 0
    capsys.readouterr()
    assert main(["seed", "--lines", "5", "--seed", "1", *db]) == 1
    error = capsys.readouterr().err
    spaced = " ".join([taken[:2], taken[2:4], taken[4:6], taken[6:8], taken[8:]])
    assert f"seeded row lines[0] refused: Number {spaced} is already in use" in error
