"""The change listener in one test process (issue 15): "A" commits through services that
announce their changes (``pg_notify`` in the transaction), "B" listens on its own
connection and applies them to its routing table and account cache. Waits are on B's
counters (the condition), never on time. PostgreSQL only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import build_services
from fleet.cli import main
from fleet.config import load_settings
from fleet.core.clock import ManualClock
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import Actor, ForwardingKind
from fleet.db.engine import is_sqlite, session_factory
from fleet.services.base import ServiceContext
from fleet.services.change_listen import APPLICATION_NAME, ChangeListener, ProcessCaches
from fleet.services.change_notify import CHANNEL, ChangeAnnouncer, request_reload
from fleet.services.change_stats import LagHistogram, ReloadReason
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.lines import NewLine
from tests.polling import eventually

MSISDN = "+33611000001"


@pytest.fixture
def postgres(database_url: str) -> str:
    if is_sqlite(database_url):
        pytest.skip("change notification is PostgreSQL's (FLEETPBX_TEST_DATABASE_URL)")
    return database_url


@dataclass
class Pair:
    a: Services  # announces
    b: Services  # listens
    directory: CachedDirectory  # B's routing table
    listener: ChangeListener
    fleet_id: int
    line_id: int


def _services(engine: AsyncEngine, clock: ManualClock) -> Services:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=NumberPolicy())
    return Services.build(context=context)


@pytest.fixture
async def pair(
    postgres: str, engine: AsyncEngine, clock: ManualClock, actor: Actor
) -> AsyncIterator[Pair]:
    a, b = _services(engine, clock), _services(engine, clock)
    ChangeAnnouncer(process="A").attach_to(a.changes)
    fleet = await a.fleets.create(actor, name="Flotte", short_number_length=3)
    [line] = await a.lines.create_many(
        actor, fleet.id, [NewLine(msisdn=MSISDN, short_number="201", employee_name="Zoé")]
    )
    caches = ProcessCaches(accounts=b.accounts)
    listener = ChangeListener(url=postgres, process="B", hub=b.changes, caches=caches)
    await listener.start()  # listening before B loads: nothing is missed
    directory = await CachedDirectory.open(services=b)
    caches.directory = directory
    try:
        yield Pair(a, b, directory, listener, fleet.id, line.id)
    finally:
        await listener.stop()
        directory.close()
        for services in (a, b):
            services.accounts.passwords.close()


def forwarded(pair: Pair) -> E164 | None:
    held = pair.directory.by_msisdn(E164(MSISDN))
    assert held is not None
    rule = held.forwarding(ForwardingKind.UNCONDITIONAL)
    return rule.destination if rule is not None and rule.active else None


async def test_a_change_committed_elsewhere_is_applied_to_the_routing_table(
    pair: Pair, actor: Actor
) -> None:
    assert pair.listener.stats.listening
    await pair.a.forwarding.set(
        actor, pair.line_id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    await eventually(lambda: pair.listener.stats.changes_applied == 1, what="the change heard")
    assert forwarded(pair) == E164("+33145678910")
    assert pair.listener.stats.lag.count == 1
    assert pair.directory.fleet_loads == 1  # applied from the change, not read again


async def test_a_process_skips_its_own_notifications(
    postgres: str, pair: Pair, actor: Actor
) -> None:
    own = ChangeListener(
        url=postgres,
        process="A",
        hub=pair.a.changes,
        caches=ProcessCaches(accounts=pair.a.accounts),
    )
    await own.start()
    try:
        await pair.a.fleets.create(actor, name="Autre", short_number_length=3)
        await eventually(lambda: pair.listener.stats.received == 1, what="B heard it")
        await eventually(lambda: own.stats.own == 1, what="A heard its own")
        assert own.stats.received == 0
        assert own.stats.changes_applied == 0
    finally:
        await own.stop()


async def test_a_cut_listener_suspends_the_caches_then_reads_them_again_once_back(
    pair: Pair, engine: AsyncEngine, actor: Actor
) -> None:
    other = _services(engine, ManualClock())  # announces nothing: as SQL would
    try:
        await other.forwarding.set(
            actor, pair.line_id, ForwardingKind.UNCONDITIONAL, destination="0145678911"
        )
    finally:
        other.accounts.passwords.close()
    assert forwarded(pair) is None  # nobody told B
    async with engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": f"{APPLICATION_NAME} B"},
        )
    await eventually(lambda: pair.listener.stats.disconnects == 1, what="the cut seen")
    await eventually(
        lambda: pair.listener.stats.reloads[ReloadReason.RECONNECTED] == 1,
        what="read again once back",
    )
    assert pair.listener.stats.connects == 2
    assert forwarded(pair) == E164("+33145678911")
    assert pair.directory.loaded
    assert not pair.b.accounts.cache.suspended


def test_suspended_caches_serve_nothing_from_memory(pair: Pair) -> None:
    pair.listener.caches.suspend()
    assert not pair.directory.loaded  # feature codes answer "unavailable"
    assert pair.b.accounts.cache.suspended  # every request reads its account
    pair.listener.caches.resume()
    assert not pair.b.accounts.cache.suspended


async def test_a_reload_request_reads_everything_again_and_forgets_deleted_fleets(
    pair: Pair, engine: AsyncEngine, actor: Actor
) -> None:
    other = _services(engine, ManualClock())
    try:
        await other.fleets.delete(actor, pair.fleet_id)
    finally:
        other.accounts.passwords.close()
    assert pair.directory.by_msisdn(E164(MSISDN)) is not None  # nobody told B
    await request_reload(engine, sender="cli-test")
    await eventually(
        lambda: pair.listener.stats.reloads[ReloadReason.REQUESTED] == 1, what="the reload"
    )
    assert pair.directory.by_msisdn(E164(MSISDN)) is None


async def test_an_undecodable_notification_reads_everything_again(
    pair: Pair, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:c, 'not ours')"), {"c": CHANNEL})
    await eventually(
        lambda: pair.listener.stats.reloads[ReloadReason.UNDECODABLE] == 1, what="the reload"
    )
    assert pair.listener.stats.undecodable == 1
    assert pair.listener.stats.received == 0


def test_the_lag_histogram_counts_each_lag_in_its_bucket_cumulatively() -> None:
    lag = LagHistogram()
    for seconds in (0.0004, 0.003, 0.003, 0.2, 60.0, -1.0):  # -1: clocks apart, as zero
        lag.observe(seconds)
    assert lag.count == 6
    assert lag.total == pytest.approx(0.0004 + 0.006 + 0.2 + 60.0)
    buckets = dict(lag.cumulative())
    assert buckets[0.001] == 2
    assert buckets[0.005] == 4
    assert buckets[0.25] == 5
    assert buckets[10.0] == 5
    assert buckets[float("inf")] == 6


def test_cache_reload_on_sqlite_says_to_restart_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
    assert main(["cache", "reload", "--database-url", url]) == 2
    assert "restart the service" in capsys.readouterr().err


@pytest.mark.usefixtures("sqlite_only")
async def test_on_sqlite_the_services_announce_nothing(
    database_url: str, engine: AsyncEngine, clock: ManualClock, actor: Actor
) -> None:
    """SQLite has no ``pg_notify``: a change would fail if it were announced."""
    settings = load_settings(cli={"database_url": database_url}, env={})
    services = build_services(engine=engine, settings=settings, clock=clock)
    try:
        fleet = await services.fleets.create(actor, name="Seule", short_number_length=3)
    finally:
        services.accounts.passwords.close()
    assert fleet.name == "Seule"
