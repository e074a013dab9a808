"""``fleetpbx cache reload``: after changes made outside the service (SQL by an operator,
another tool), tell every running FleetPBX process on the database to read all its caches
again — routing, accounts, trunks (a ``NOTIFY`` on the change channel; issue 15). On SQLite
there is one process, which must be restarted instead."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fleet.config import Settings
from fleet.db.engine import create_engine
from fleet.services.change_notify import new_process_id, notifies, request_reload


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    cache = sub.add_parser("cache", parents=[common], help="the running processes' caches")
    verbs = cache.add_subparsers(dest="cache_command", required=True)
    verbs.add_parser(
        "reload",
        parents=[common],
        help="make every process on the database read its caches again (PostgreSQL)",
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    assert args.cache_command == "reload"
    if not notifies(settings.database_url):
        sys.stderr.write("fleetpbx: cache reload needs PostgreSQL; restart the service instead\n")
        return 2
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        await request_reload(engine, sender=f"cli-{new_process_id()}")
    finally:
        await engine.dispose()
    sys.stdout.write("asked every process on the database to reload its caches\n")
    return 0
