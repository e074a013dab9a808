"""``fleetpbx trunk add|list|show|remove|set``: a fleet's SIP trunks from the command line,
through the trunk service (journalled as the CLI). The Digest secret is read from standard
input (``--secret-stdin``), never from the command line, and never printed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fleet.app import build_services
from fleet.config import Settings
from fleet.core import model
from fleet.core.clock import SystemClock
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkTransport
from fleet.core.values import UNSET, Actor, Channel
from fleet.db.engine import create_engine
from fleet.services.container import Services

CLI_ACTOR = Actor(name="cli", channel=Channel.CLI)
SETTINGS = ("name", "mode", "host", "port", "transport", "username", "realm", "history")


def _port(text: str) -> int | None:
    """A port, or nothing (an empty value clears it)."""
    return int(text) if text.strip() else None


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    trunk = sub.add_parser("trunk", parents=[common], help="a fleet's SIP trunks")
    verbs = trunk.add_subparsers(dest="trunk_command", required=True)
    add = verbs.add_parser("add", parents=[common], help="add a trunk to a fleet")
    add.add_argument("fleet_id", type=int)
    add.add_argument("name")
    _settings(add, creating=True)
    listing = verbs.add_parser("list", parents=[common], help="a fleet's trunks and states")
    listing.add_argument("fleet_id", type=int)
    for verb, text in (("show", "one trunk"), ("remove", "remove a trunk no number names")):
        verbs.add_parser(verb, parents=[common], help=text).add_argument("trunk_id", type=int)
    change = verbs.add_parser("set", parents=[common], help="change a trunk (''clears)")
    change.add_argument("trunk_id", type=int)
    change.add_argument("--name")
    _settings(change, creating=False)


def _settings(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("--mode", choices=[m.value for m in TrunkMode])
    parser.add_argument("--host", help="the PBX's host name or IP address (static mode)")
    parser.add_argument("--port", type=_port)
    parser.add_argument("--transport", choices=[t.value for t in TrunkTransport])
    parser.add_argument("--username", help="Digest username")
    parser.add_argument("--realm", help="Digest realm")
    parser.add_argument("--history", choices=[h.value for h in HistoryStyle])
    parser.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the Digest secret from standard input"
        + ("" if creating else " (an empty line clears it)"),
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, pool_size=2)
    services = build_services(engine=engine, settings=settings, clock=SystemClock())
    try:
        return await _run(args, services)
    finally:
        services.accounts.passwords.close()
        await engine.dispose()


async def _run(args: argparse.Namespace, services: Services) -> int:
    trunks = services.trunks
    verb = args.trunk_command
    if verb == "list":
        for view in await trunks.in_fleet(args.fleet_id):
            _out(_line(view))
        return 0
    if verb == "show":
        for key, value in _fields(await trunks.get(args.trunk_id)).items():
            _out(f"{key} = {value}")
        return 0
    if verb == "remove":
        await trunks.remove(CLI_ACTOR, args.trunk_id)
        _out(f"trunk {args.trunk_id} removed")
        return 0
    given = {k: getattr(args, k) for k in SETTINGS if getattr(args, k, None) is not None}
    if args.secret_stdin:
        given["secret"] = sys.stdin.readline().rstrip("\r\n")
    if verb == "add":
        given.pop("name", None)
        view = await trunks.add(CLI_ACTOR, args.fleet_id, name=args.name, **given)
    else:
        changes = {k: given.get(k, UNSET) for k in (*SETTINGS, "secret")}
        view = await trunks.update(CLI_ACTOR, args.trunk_id, **changes)
    _out(_line(view))
    return 0


def _line(view: model.TrunkView) -> str:
    trunk = view.trunk
    peer = f"{trunk.host}:{trunk.port or ''}".rstrip(":") if trunk.host else "(registers)"
    secret = "secret" if view.has_secret else "no secret"
    return (
        f"{trunk.id}\t{trunk.name}\t{trunk.mode.value}\t{peer}\t{trunk.transport.value}"
        f"\t{trunk.state.value}\t{secret}"
    )


def _fields(view: model.TrunkView) -> dict[str, object]:
    trunk = view.trunk
    return {
        "id": trunk.id,
        "fleet_id": trunk.fleet_id,
        "name": trunk.name,
        "mode": trunk.mode.value,
        "host": trunk.host or "",
        "port": trunk.port or "",
        "transport": trunk.transport.value,
        "username": trunk.username or "",
        "realm": trunk.realm or "",
        "has_secret": view.has_secret,
        "history": trunk.history.value,
        "state": trunk.state.value,
        "state_since": view.state_since.isoformat() if view.state_since else "",
    }


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
