"""import_csv: the bulk import of a 10,000-line CSV into an empty fleet (issue 13), against
a bare ``executemany`` INSERT of the same rows measured in the same run.

For each backend (a fresh SQLite file, then a fresh PostgreSQL database) the script migrates
the schema, creates two empty fleets, and times:

- the anchor: the same lines written by one bare multi-row INSERT (SQLAlchemy Core,
  ``executemany``, no check, no journal) into the second fleet, in one transaction;
- the import: ``decode`` + ``FleetIOService.import_file`` of the CSV into the first fleet
  (every row checked: number policy, short-number plan, uniqueness; then written in one
  transaction with one journal entry per line);
- the preview of the same file again (``dry_run``: nothing to change), and its import
  again (nothing written).

Prints figures; it is a benchmark, not a test.

    .venv/bin/python bench/import_csv.py [--lines N] [--pg-url URL | --skip-pg]
"""

from __future__ import annotations

import sys
from pathlib import Path

# the root first: bench/portal.py would shadow the project's ``portal`` package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime

from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _report import out
from _stop import stopped_by_signals
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.values import Actor, Channel, Language
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.db.tables import LineRow
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format

ACTOR = Actor(name="bench", channel=Channel.CLI)


def csv_text(lines: int) -> bytes:
    rows = [
        f"06{40000000 + i:08d};{10000 + i};Salarié {i};salarie{i}@example.com;fr;yes;yes;no"
        for i in range(lines)
    ]
    header = "msisdn;short_number;employee_name;email;language;pabx_option;call_waiting;clir"
    return ("\ufeff" + header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


async def run_backend(backend: str, url: str, lines: int) -> None:
    out(f"== {backend}  {make_url(url).render_as_string(hide_password=True)}")
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        target = await services.fleets.create(ACTOR, name="Import", short_number_length=5)
        bare = await services.fleets.create(ACTOR, name="Anchor", short_number_length=5)
        data = csv_text(lines)
        now = datetime.now(UTC)
        rows = [
            {
                "fleet_id": bare.id,
                "msisdn": f"+337{40000000 + i:08d}",
                "short_number": str(10000 + i),
                "employee_name": f"Salarié {i}",
                "email": f"salarie{i}@example.com",
                "language": Language.FR,
                "pabx_option": True,
                "call_waiting": True,
                "clir": False,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(lines)
        ]
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(insert(LineRow), rows)
        anchor = time.perf_counter() - started
        started = time.perf_counter()
        report = await services.fleetio.import_file(ACTOR, target.id, decode(data, Format.CSV))
        imported = time.perf_counter() - started
        assert report.applied and report.created == lines, report.faults[:3]
        started = time.perf_counter()
        preview = await services.fleetio.import_file(
            ACTOR, target.id, decode(data, Format.CSV), dry_run=True
        )
        previewed = time.perf_counter() - started
        assert not preview.changes and preview.unchanged == lines
        started = time.perf_counter()
        await services.fleetio.import_file(ACTOR, target.id, decode(data, Format.CSV))
        again = time.perf_counter() - started
        out(f"anchor (bare executemany INSERT of {lines:,} rows): {anchor:.2f} s")
        out(f"import of {lines:,} lines: {imported:.2f} s  ({imported / anchor:.0f} × anchor)")
        out(f"preview of the same file (nothing to change): {previewed:.2f} s")
        out(f"the same file again (nothing written): {again:.2f} s")
        services.accounts.passwords.close()
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> int:
    out(
        f"import_csv: {args.lines:,} lines; machine: {os.cpu_count()} CPUs, load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    async with stopped_by_signals("removing the temporary SQLite folder"):
        with tempfile.TemporaryDirectory(prefix="fleetpbx-bench-") as tmp:
            await run_backend("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.lines)
    if args.skip_pg:
        out("PostgreSQL skipped (--skip-pg)")
        return 0
    async with scratch_database(args.pg_url) as db:
        await run_backend(f"PostgreSQL {db.version}", db.url, args.lines)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the CSV (≤ 89,999)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--skip-pg", action="store_true", help="run on SQLite only")
    args = parser.parse_args(argv)
    if not 1 <= args.lines <= 89_999:
        parser.error("--lines: 1 to 89,999 (5-digit short numbers)")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
