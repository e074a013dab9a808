"""Shared fixtures. The database is SQLite unless ``FLEETPBX_TEST_DATABASE_URL`` names
another one (CI runs the whole suite a second time on a fresh PostgreSQL database).

The schema is migrated once per session; every test starts from empty tables."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.clock import ManualClock
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor, Channel
from fleet.db import migrate
from fleet.db.engine import create_engine, is_sqlite, session_factory
from fleet.db.tables import Base
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.trunksecrets import SecretBox

ENV_URL = "FLEETPBX_TEST_DATABASE_URL"


def pytest_report_header(config: pytest.Config) -> str:
    return f"fleetpbx test database: {os.environ.get(ENV_URL) or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get(ENV_URL) or (
        f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'fleetpbx-test.db'}"
    )
    asyncio.run(migrate.upgrade(url))
    yield url


def table_names() -> list[str]:
    """Tables in dependency order (parents first)."""
    return [t.name for t in Base.metadata.sorted_tables]


async def wipe(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{n}"' for n in table_names())
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            await conn.execute(text("UPDATE call_groups SET no_answer_group_id = NULL"))
            for name in reversed(table_names()):
                await conn.execute(text(f'DELETE FROM "{name}"'))


TRUNK_SECRET_KEY = Fernet.generate_key().decode()  # the trunks' secrets in the tests


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=5)
    await wipe(eng)
    yield eng
    await wipe(eng)
    await eng.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def policy() -> NumberPolicy:
    return NumberPolicy()


@pytest.fixture
def services(engine: AsyncEngine, clock: ManualClock, policy: NumberPolicy) -> Services:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=policy)
    return Services.build(context=context, trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY))


@pytest.fixture
def actor() -> Actor:
    return Actor(name="tester", channel=Channel.CLI)


async def dump(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for "nothing was written" checks."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    if not is_sqlite(database_url):
        pytest.skip("this test needs the SQLite database")


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# smpp34 (the independent SMPP implementation of the interoperability tests) runs a tokio
# runtime that can crash the interpreter while it shuts down (PyO3/pyo3-async-runtimes#40),
# after every test has passed. When it was loaded, leave without interpreter finalisation,
# keeping pytest's exit status.
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    if "smpp34" in sys.modules and _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
