"""Alembic migrations: upgrade from empty, downgrade, upgrade again; the models match."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.db import migrate
from fleet.db.tables import Base


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def test_schema_downgrades_to_empty_and_upgrades_again(
    engine: AsyncEngine, database_url: str
) -> None:
    expected = set(Base.metadata.tables)
    assert await _tables(engine) == expected
    assert await migrate.current(database_url) == migrate.head()

    await migrate.downgrade(database_url, "base")
    try:
        assert await _tables(engine) == set()
        assert await migrate.current(database_url) is None
    finally:
        await migrate.upgrade(database_url)
    assert await _tables(engine) == expected
    assert await migrate.current(database_url) == migrate.head()


async def test_upgrading_twice_changes_nothing(engine: AsyncEngine, database_url: str) -> None:
    await migrate.upgrade(database_url)
    assert await migrate.current(database_url) == migrate.head()


async def drift(engine: AsyncEngine) -> list[object]:
    """What Alembic's autogenerate (``alembic check``) finds between the models and the
    schema behind ``engine``: nothing when they match."""

    def diff(sync_conn: Any) -> list[object]:
        dialect = sync_conn.dialect.name

        def here(item: Any, name: Any, kind: str, reflected: bool, compare_to: Any) -> bool:
            """An index made for one database only (``ddl_if``) is compared on that one."""
            only = getattr(item, "_ddl_if", None) if kind == "index" else None
            return only is None or only.dialect in (None, dialect)

        opts = {"compare_type": True, "include_object": here}
        context = MigrationContext.configure(sync_conn, opts=opts)
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(diff)


async def test_models_and_migrations_describe_the_same_schema(engine: AsyncEngine) -> None:
    assert await drift(engine) == []


async def test_timestamps_are_timezone_aware_columns(engine: AsyncEngine) -> None:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if "DateTime" in type(column.type).__name__ or column.name.endswith("_at"):
                kind: Any = getattr(column.type, "impl", column.type)
                assert kind.timezone, column
