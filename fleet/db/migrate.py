"""Alembic, driven from code: upgrade / downgrade / current on an async engine. Alembic is
imported by the commands that migrate only: the head and a database's revision, all that
``fleetpbx serve`` asks for, are read without it (``fleet.db.revisions``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.db import revisions
from fleet.db.engine import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    await _run(url, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(url: str, revision: str) -> None:
    from alembic import command

    await _run(url, lambda cfg: command.downgrade(cfg, revision))


async def current(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await revision_of(engine)
    finally:
        await engine.dispose()


async def revision_of(engine: AsyncEngine) -> str | None:
    """The schema revision of the database behind ``engine`` (None when empty)."""
    return await revisions.revision_of(engine)


def head() -> str | None:
    """The head revision of the migration scripts."""
    return revisions.head(MIGRATIONS / "versions")


async def _run(url: str, action: object) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:

            def _apply(sync_conn: Connection) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                action(cfg)  # type: ignore[operator]

            await conn.run_sync(_apply)
    finally:
        await engine.dispose()
