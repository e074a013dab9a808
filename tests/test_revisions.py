"""The schema revisions read without Alembic (``fleet.db.revisions``) are Alembic's own, and
the serving process no longer imports Alembic for them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.db import migrate, revisions
from fleet.db.engine import create_engine
from fleet.db.revisions import RevisionError, head_of, revision_in, script_revisions


def test_the_head_is_the_one_alembic_finds() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert migrate.head() == script.get_current_head()
    assert migrate.head() is not None


def test_every_script_names_the_revision_and_parent_alembic_reads() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    for path in sorted((migrate.MIGRATIONS / "versions").glob("*.py")):
        revision, downs = script_revisions(path)
        found = script.get_revision(revision)
        assert found is not None
        assert downs == found._normalized_down_revisions


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.py"
    text = f'"""{name}"""\n\nimport sqlalchemy as sa\n\n{body}\n\n\ndef upgrade() -> None:\n'
    text += "    pass\n"
    path.write_text(text)
    return path


def test_annotated_assignments_and_merges_are_read(tmp_path: Path) -> None:
    first = _script(tmp_path, "a", 'revision = "a"\ndown_revision = None')
    left = _script(tmp_path, "b", 'revision: str = "b"\ndown_revision: str | None = "a"')
    right = _script(tmp_path, "c", 'revision = "c"\ndown_revision = "a"')
    merge = _script(tmp_path, "d", 'revision = "d"\ndown_revision = ("b", "c")')
    assert script_revisions(first) == ("a", ())
    assert script_revisions(left) == ("b", ("a",))
    assert script_revisions(merge) == ("d", ("b", "c"))
    assert head_of([first, left, right, merge]) == "d"
    assert head_of([]) is None


def test_two_heads_are_an_error_naming_them(tmp_path: Path) -> None:
    first = _script(tmp_path, "a", 'revision = "a"\ndown_revision = None')
    left = _script(tmp_path, "b", 'revision = "b"\ndown_revision = "a"')
    right = _script(tmp_path, "c", 'revision = "c"\ndown_revision = "a"')
    with pytest.raises(RevisionError, match="several heads: b, c"):
        head_of([first, left, right])


def test_a_script_without_a_revision_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = _script(tmp_path, "broken", "down_revision = None")
    with pytest.raises(RevisionError, match=r"broken\.py: no revision"):
        head_of([broken])


async def test_the_database_revision_is_the_one_alembic_reads(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        alembic = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    assert await revisions.revision_of(engine) == alembic == migrate.head()


async def test_an_empty_database_has_no_revision(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await revisions.revision_of(empty) is None
    finally:
        await empty.dispose()


async def test_two_rows_in_the_version_table_are_an_error(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('x')"))
        try:
            with pytest.raises(RevisionError, match="several revisions"):
                await conn.run_sync(revision_in)
        finally:
            await conn.rollback()


def test_the_serving_process_imports_neither_alembic_nor_the_scenarios() -> None:
    probe = (
        "import sys, fleet.cli\n"
        "from fleet.db import migrate\n"
        "migrate.head()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'yaml'}))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"
