"""Every migration, down then up again one step at a time, keeps the rows of a fleet that
has children of every kind: a rebuilt table (SQLite's batch copy) does not take its
children with it when the old copy is dropped (ON DELETE CASCADE)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.clock import ManualClock
from fleet.core.criteria import CriteriaTarget
from fleet.core.numbering import NumberPolicy
from fleet.core.presented import PresentedKind, PresentedNumber
from fleet.core.schedules import Holiday, TimeRange, Weekday
from fleet.core.values import Actor, ForwardingKind, ForwardingTarget
from fleet.core.voicemail import VoicemailPlatform
from fleet.db import migrate
from fleet.db.engine import create_engine, session_factory
from fleet.db.tables import Base
from fleet.services.base import ServiceContext
from fleet.services.contacts import ContactInput
from fleet.services.container import Services
from fleet.services.trunksecrets import SecretBox
from tests.conftest import TRUNK_SECRET_KEY
from tests.exchange import n
from tests.test_migrations import drift
from tests.world import build_accounts

# the rows whose data is compared column by column (the columns present on both sides)
WATCHED = ("lines", "forwardings", "group_members")
# what a step forgets on purpose: 0017's downgrade, the forwardings to voicemail (they
# have no number to fall back on); 0005, both ways, code_failures (replaced by a table of
# the same name, per group with its guards)
Step = tuple[str | None, str | None]  # the revisions before and after
FORGETS_VOICEMAIL: Step = ("0017", "0016")
REPLACED: dict[Step, set[str]] = {
    ("0005", "0004"): {"code_failures"},
    ("0004", "0005"): {"code_failures"},
}

Rows = dict[tuple[Any, ...], dict[str, Any]]


@pytest.fixture
def services(engine: AsyncEngine, clock: ManualClock, policy: NumberPolicy) -> Services:
    """A deployment with a voicemail platform (a forwarding may go to voicemail)."""
    platform = VoicemailPlatform(n("0699999123"))
    context = ServiceContext(
        sessions=session_factory(engine), clock=clock, policy=policy, voicemail=platform
    )
    return Services.build(context=context, trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY))


@dataclass(frozen=True)
class Snapshot:
    revision: str | None
    counts: dict[str, int]
    rows: dict[str, Rows]  # the watched tables, by primary key


def _chain() -> list[str]:
    """The revisions from the first to the head, in order."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    revisions = [r.revision for r in script.walk_revisions()]
    revisions.reverse()
    return revisions


def _read(sync: sa.Connection) -> tuple[dict[str, int], dict[str, Rows]]:
    schema = sa.MetaData()
    schema.reflect(sync)
    counts: dict[str, int] = {}
    rows: dict[str, Rows] = {}
    for name, table in sorted(schema.tables.items()):
        if name == "alembic_version":
            continue
        counts[name] = sync.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if name in WATCHED:
            key = [c.name for c in table.primary_key.columns]
            rows[name] = {
                tuple(r[k] for k in key): dict(r) for r in sync.execute(sa.select(table)).mappings()
            }
    return counts, rows


async def _snapshot(url: str) -> Snapshot:
    # an engine of its own each time: a pooled PostgreSQL connection keeps plans of the
    # old schema
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            counts, rows = await conn.run_sync(_read)
        return Snapshot(await migrate.revision_of(engine), counts, rows)
    finally:
        await engine.dispose()


def _project(rows: Rows, columns: set[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {key: {c: v for c, v in row.items() if c in columns} for key, row in rows.items()}


def _kept(name: str, rows: Rows, step: Step) -> Rows:
    """``rows`` of table ``name`` but those the step forgets on purpose."""
    if name != "forwardings" or step != FORGETS_VOICEMAIL:
        return rows
    return {key: row for key, row in rows.items() if row.get("target") != "voicemail"}


def _expected_count(before: Snapshot, name: str, step: Step) -> int:
    if name not in WATCHED:
        return before.counts[name]
    rows = before.rows[name]
    return before.counts[name] - len(rows) + len(_kept(name, rows, step))


def _losses(before: Snapshot, after: Snapshot) -> Iterator[str]:
    """What the step from ``before`` to ``after`` lost that it should not have."""
    step = before.revision, after.revision
    for name in sorted(set(before.counts) & set(after.counts) - REPLACED.get(step, set())):
        if after.counts[name] != _expected_count(before, name, step):
            yield f"{name}: {before.counts[name]} rows, {after.counts[name]} after"
    for name in WATCHED:
        old, new = before.rows[name], after.rows[name]
        if not old or not new:
            continue
        columns = set(next(iter(old.values()))) & set(next(iter(new.values())))
        if _project(new, columns) != _project(_kept(name, old, step), columns):
            yield f"{name}: the rows differ"


async def _seed(services: Services, actor: Actor, engine: AsyncEngine) -> None:
    """The fleet of ``build_accounts`` with children of every kind."""
    accounts = await build_accounts(services, actor)
    world = accounts.world
    first, busy, away = world.line(0), world.line(2), world.line(3)
    await services.presented.choose(
        actor, first.id, PresentedNumber(PresentedKind.GROUP, accounts.group_id)
    )
    await services.presented.set_main_number(actor, world.fleet.id, "01 45 67 89 10")
    await services.forwarding.set(actor, busy.id, ForwardingKind.BUSY, destination="0611000005")
    await services.forwarding.set(
        actor, busy.id, ForwardingKind.NO_REPLY, destination="0611000006", no_reply_timer=20
    )
    await services.forwarding.set(
        actor,
        away.id,
        ForwardingKind.UNCONDITIONAL,
        destination=None,
        target=ForwardingTarget.VOICEMAIL,
    )
    await services.incoming.save(actor, busy.id, entries=["0611000007", "0611000008"])
    schedule = await services.schedules.create(
        actor,
        world.fleet.id,
        name="Bureau",
        ranges=[TimeRange(day=Weekday.MONDAY, start=8 * 60, end=18 * 60)],
        holidays=[Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25))],
        with_opposite=True,
    )
    await services.criteria.set_line(actor, busy.id, CriteriaTarget.BUSY, schedule_id=schedule.id)
    await services.criteria.set_group(actor, accounts.group_id, schedule_id=schedule.id)
    await services.contacts.create(
        actor, world.fleet.id, ContactInput(name="Garage", number="0145678911")
    )
    # the tables the calls, the SMS and the logins fill while the service runs
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    t = Base.metadata.tables
    async with engine.begin() as conn:
        await conn.execute(
            t["fleet_owners"].insert(),
            {"fleet_id": world.fleet.id, "process": "p1", "sip_uri": "sip:p1@h", "since": now},
        )
        guard = {"line_id": first.id, "group_id": accounts.group_id, "kind": "user"}
        await conn.execute(t["code_guards"].insert(), {**guard, "checked_at": now})
        await conn.execute(t["code_failures"].insert(), {**guard, "at": now})
        record = await conn.execute(
            t["call_records"].insert().returning(t["call_records"].c.id),
            {
                "call_id": "c1",
                "fleet_id": world.fleet.id,
                "caller": "0611000001",
                "called": "0611000002",
                "offered_at": now,
                "answered_at": now + timedelta(seconds=3),
                "released_at": now + timedelta(seconds=60),
                "outcome": "answered",
                "correlation_id": "corr-1",
            },
        )
        await conn.execute(
            t["call_record_events"].insert(),
            {"call_record_id": record.scalar_one(), "seq": 1, "at": now, "kind": "answered"},
        )
        await conn.execute(
            t["sms_outbox"].insert(),
            {
                "fleet_id": world.fleet.id,
                "line_id": first.id,
                "msisdn": first.msisdn.value,
                "text": "Renvoi activé",
                "created_at": now,
                "next_attempt_at": now,
            },
        )
        await conn.execute(t["login_sources"].insert(), {"address": "192.0.2.1", "failures": 1})
        await conn.execute(
            t["login_locks"].insert(),
            {"login_key": "chef", "address": "192.0.2.1", "failures": 1},
        )


async def test_every_step_down_to_the_first_revision_and_back_keeps_every_row(
    engine: AsyncEngine, database_url: str, services: Services, actor: Actor
) -> None:
    await _seed(services, actor, engine)
    chain = _chain()
    start = await _snapshot(database_url)
    assert start.revision == chain[-1]
    assert [n for n, count in start.counts.items() if count == 0] == []  # a child of every kind
    assert len(_kept("forwardings", start.rows["forwardings"], FORGETS_VOICEMAIL)) == 2

    steps = [(migrate.downgrade, revision) for revision in reversed(chain[:-1])]
    steps += [(migrate.upgrade, revision) for revision in chain[1:]]
    snapshots = [start]
    lost: list[str] = []
    try:
        for move, target in steps:
            before = snapshots[-1]
            await move(database_url, target)
            after = await _snapshot(database_url)
            assert after.revision == target
            lost += [f"{before.revision} -> {target}: {loss}" for loss in _losses(before, after)]
            snapshots.append(after)
    finally:
        await migrate.upgrade(database_url)
    assert not lost, "\n".join(lost)

    end = snapshots[-1]
    assert end.revision == chain[-1]
    everywhere = set.intersection(*(set(s.counts) for s in snapshots))
    replaced = set().union(*REPLACED.values())
    assert {n: end.counts[n] for n in everywhere - replaced} == {
        n: _expected_count(start, n, FORGETS_VOICEMAIL) for n in everywhere - replaced
    }
    for name in WATCHED:
        columns = set.intersection(
            *(set(next(iter(s.rows[name].values()))) for s in snapshots if s.rows[name])
        )
        kept = _kept(name, start.rows[name], FORGETS_VOICEMAIL)
        assert _project(end.rows[name], columns) == _project(kept, columns), name
    assert await drift(engine) == []  # back at the head, the schema is the models' again


async def test_migrations_on_sqlite_refuse_a_connection_whose_transaction_is_already_open(
    engine: AsyncEngine, database_url: str, sqlite_only: None
) -> None:
    """Foreign keys cannot be turned off inside a transaction: rather than rebuild a table
    with them on, the run stops before its first migration."""
    other = create_engine(database_url)
    try:
        async with other.connect() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))

            def upgrade(sync: sa.Connection) -> None:
                cfg = migrate.alembic_config(database_url)
                cfg.attributes["connection"] = sync
                command.upgrade(cfg, "head")

            with pytest.raises(RuntimeError, match="kept its foreign keys on"):
                await conn.run_sync(upgrade)
            await conn.rollback()
    finally:
        await other.dispose()
    assert await migrate.current(database_url) == migrate.head()


async def test_migrations_on_sqlite_do_not_commit_rows_left_without_their_parent(
    engine: AsyncEngine, database_url: str, sqlite_only: None
) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        await conn.execute(
            Base.metadata.tables["incoming_lists"].insert(),
            {
                "line_id": 999,
                "active": True,
                "mode": "simultaneous",
                "ring_time": 20,
                "updated_at": datetime(2026, 12, 4, tzinfo=UTC),
            },
        )
        await conn.commit()
        await conn.execute(sa.text("PRAGMA foreign_keys=ON"))
    with pytest.raises(RuntimeError, match="incoming_lists row 999 -> lines"):
        await migrate.upgrade(database_url)
