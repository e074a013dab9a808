"""The schema revisions without Alembic: the head of the migration scripts, read from their
``revision`` and ``down_revision`` assignments, and the revision a database is at, read from
``alembic_version``. ``fleetpbx serve`` needs both (``/healthz`` compares them) but never
migrates unless asked (``--migrate``): importing Alembic for them kept 5–9 MB of modules (Alembic,
Mako and what they pull in) in every serving process for nothing (bench/README.md, sip_calls'
memory). The answers are Alembic's own (``tests/test_revisions.py`` compares them)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

VERSION_TABLE = "alembic_version"
_NAMES = ("revision", "down_revision")


class RevisionError(RuntimeError):
    """The migration scripts or the version table do not name one revision."""


def script_revisions(path: Path) -> tuple[str, tuple[str, ...]]:
    """A migration script's revision and the revisions it follows (none for the first)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_bytes(), filename=str(path)).body:
        target, value = _assigned(node)
        if target in _NAMES and value is not None:
            found[target] = ast.literal_eval(value)
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str):
        raise RevisionError(f"{path.name}: no revision = '…' assignment")
    if down is None:
        return revision, ()
    downs = (down,) if isinstance(down, str) else down
    if not isinstance(downs, tuple | list) or not all(isinstance(d, str) for d in downs):
        raise RevisionError(f"{path.name}: down_revision is not a revision or several")
    return revision, tuple(downs)


def _assigned(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def head_of(scripts: Iterable[Path]) -> str | None:
    """The one revision no other script follows; None without scripts."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in scripts:
        revision, downs = script_revisions(path)
        revisions.add(revision)
        followed.update(downs)
    heads = sorted(revisions - followed)
    if len(heads) > 1:
        raise RevisionError(f"the migration scripts have several heads: {', '.join(heads)}")
    if revisions and not heads:
        raise RevisionError("the migration scripts follow one another in a circle")
    return heads[0] if heads else None


def head(versions: Path) -> str | None:
    """The head revision of the migration scripts in ``versions``."""
    return head_of(sorted(versions.glob("*.py")))


async def revision_of(engine: AsyncEngine) -> str | None:
    """The schema revision of the database behind ``engine`` (None when empty)."""
    async with engine.connect() as conn:
        return await conn.run_sync(revision_in)


def revision_in(sync: Connection) -> str | None:
    """The revision ``alembic_version`` holds, read on ``sync`` (None: no table, or empty)."""
    if not sa.inspect(sync).has_table(VERSION_TABLE):
        return None
    rows = sync.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise RevisionError(f"{VERSION_TABLE} holds several revisions: {', '.join(rows)}")
    return str(rows[0]) if rows else None
