"""``fleetpbx fleet|line|account``: an operator's provisioning from the command line, through
the services (journalled as the CLI): fleets created, shown, listed and removed; mobile lines
added and removed; portal accounts (operator, manager, employee) added, disabled, enabled and
given a new password. The first operator's account can only come from here.

A password is read from standard input (a prompt without echo on a terminal), never from
the command line, and never printed. Removing a fleet or a line prints what it takes with it
and asks for confirmation (``--yes``: do not ask).

Each command's verbs are added by a function (``add_fleet_verbs(verbs, common)``…) and run
by a handler registered in ``HANDLERS`` under ``(command, verb)``: more verbs (a fleet's
import and export) register theirs the same way."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from fleet import cli_fleetio
from fleet.app import build_services
from fleet.config import Settings
from fleet.core import model
from fleet.core.clock import SystemClock
from fleet.core.impact import Impact
from fleet.core.linesettings import PABX_OPTION
from fleet.core.values import Actor, Channel, Language, Role
from fleet.db.engine import create_engine
from fleet.services.container import Services

CLI_ACTOR = Actor(name="cli", channel=Channel.CLI)
Handler = Callable[[argparse.Namespace, Services], Awaitable[int]]
HANDLERS: dict[tuple[str, str], Handler] = {}
COMMANDS = ("fleet", "line", "account")
HANDLERS.update(dict.fromkeys((("fleet", verb) for verb in cli_fleetio.VERBS), cli_fleetio.handle))


def handles(command: str, verb: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(command, verb)] = handler
        return handler

    return register


# -- parsers ----------------------------------------------------------------------------------


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    fleet = sub.add_parser("fleet", parents=[common], help="fleets (companies)")
    add_fleet_verbs(fleet.add_subparsers(dest="verb", required=True), common)
    line = sub.add_parser("line", parents=[common], help="a fleet's mobile lines")
    add_line_verbs(line.add_subparsers(dest="verb", required=True), common)
    account = sub.add_parser("account", parents=[common], help="portal accounts")
    add_account_verbs(account.add_subparsers(dest="verb", required=True), common)


def add_fleet_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    create = verbs.add_parser("create", parents=[common], help="create a fleet")
    create.add_argument("name")
    create.add_argument("--short-number-length", dest="short_number_length", type=int)
    create.add_argument("--language", choices=[lang.value for lang in Language])
    create.add_argument("--timezone", help="e.g. Europe/Paris")
    verbs.add_parser("list", parents=[common], help="every fleet")
    show = verbs.add_parser("show", parents=[common], help="a fleet, its numbers and accounts")
    show.add_argument("fleet_id", type=int)
    delete = verbs.add_parser(
        "delete", parents=[common], help="remove a fleet and everything it holds (asks first)"
    )
    delete.add_argument("fleet_id", type=int)
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cli_fleetio.add_verbs(verbs, common)


def add_line_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    add = verbs.add_parser("add", parents=[common], help="add a mobile line to a fleet")
    add.add_argument("fleet_id", type=int)
    add.add_argument("msisdn", help="the mobile number, e.g. 0611000001")
    add.add_argument("employee_name")
    add.add_argument("--short-number", dest="short_number")
    add.add_argument("--email")
    add.add_argument("--language", choices=[lang.value for lang in Language])
    add.add_argument("--no-pabx", dest="pabx", action="store_false", help="without the PABX option")
    remove = verbs.add_parser("remove", parents=[common], help="remove a line (asks first)")
    remove.add_argument("msisdn", help="the line's number")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def add_account_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    add = verbs.add_parser(
        "add", parents=[common], help="add a portal account (password on standard input)"
    )
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", dest="display_name", help="the name shown (default: the login)")
    add.add_argument(
        "--fleet", dest="fleet_ids", type=int, action="append", default=[], help="a manager's"
    )
    add.add_argument("--line", help="an employee's line (its number)")
    add.add_argument("--language", choices=[lang.value for lang in Language])
    for verb, text in (
        ("disable", "disable an account (its sessions end)"),
        ("enable", "enable an account again"),
        ("reset-password", "give an account a new password (on standard input)"),
    ):
        verbs.add_parser(verb, parents=[common], help=text).add_argument("login")


# -- running ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, pool_size=2)
    services = build_services(engine=engine, settings=settings, clock=SystemClock())
    try:
        return await HANDLERS[(args.command, args.verb)](args, services)
    finally:
        services.accounts.passwords.close()
        await engine.dispose()


@handles("fleet", "create")
async def _fleet_create(args: argparse.Namespace, services: Services) -> int:
    given = {
        name: getattr(args, name)
        for name in ("short_number_length", "language", "timezone")
        if getattr(args, name) is not None
    }
    fleet = await services.fleets.create(CLI_ACTOR, name=args.name, **given)
    _out(_fleet_line(fleet))
    return 0


@handles("fleet", "list")
async def _fleet_list(args: argparse.Namespace, services: Services) -> int:
    for fleet in await services.fleets.all():
        _out(_fleet_line(fleet))
    return 0


@handles("fleet", "show")
async def _fleet_show(args: argparse.Namespace, services: Services) -> int:
    fleet = await services.fleets.get(args.fleet_id)
    _out(_fleet_line(fleet))
    page = await services.lines.search(fleet.id, search=None, offset=0, limit=1)
    _out(f"lines\t{page.total}")
    for fixed in await services.fleets.fixed_numbers(fleet.id):
        short = fixed.short_number or ""
        _out(f"fixed\t{fixed.number.national()}\t{fixed.label}\t{fixed.trunk}\t{short}")
    for view in await services.trunks.in_fleet(fleet.id):
        _out(f"trunk\t{view.trunk.name}\t{view.trunk.state.value}")
    for account in await services.accounts.in_fleet(fleet.id):
        _out(f"account\t{_account_line(account)}")
    return 0


@handles("fleet", "delete")
async def _fleet_delete(args: argparse.Namespace, services: Services) -> int:
    impact = await services.impact.of_fleet(args.fleet_id)
    if not _confirmed(impact, args.yes):
        return 1
    await services.fleets.delete(CLI_ACTOR, args.fleet_id)
    _out(f"fleet {args.fleet_id} removed")
    return 0


@handles("line", "add")
async def _line_add(args: argparse.Namespace, services: Services) -> int:
    line = await services.lines.create(
        CLI_ACTOR,
        args.fleet_id,
        msisdn=args.msisdn,
        employee_name=args.employee_name,
        short_number=args.short_number,
        email=args.email,
        language=args.language,
        settings={PABX_OPTION: args.pabx},
    )
    short = line.short_number or ""
    _out(f"{line.id}\t{line.msisdn.national()}\t{short}\t{line.employee_name}")
    return 0


@handles("line", "remove")
async def _line_remove(args: argparse.Namespace, services: Services) -> int:
    line = await services.lines.get_by_msisdn(args.msisdn)
    impact = await services.impact.of_line(line.id)
    if not _confirmed(impact, args.yes):
        return 1
    await services.lines.delete(CLI_ACTOR, line.id)
    _out(f"line {line.msisdn.national()} removed")
    return 0


@handles("account", "add")
async def _account_add(args: argparse.Namespace, services: Services) -> int:
    role = Role(args.role)
    if role is Role.EMPLOYEE and (not args.line or args.fleet_ids):
        return _usage("an employee's account: --line NUMBER, and no --fleet")
    if role is Role.MANAGER and (not args.fleet_ids or args.line):
        return _usage("a manager's account: one --fleet ID or more, and no --line")
    if role is Role.OPERATOR and (args.fleet_ids or args.line):
        return _usage("an operator manages every fleet: no --fleet, no --line")
    password = _password()
    name = args.display_name or args.login
    language = {"language": args.language} if args.language else {}
    accounts = services.accounts
    if role is Role.OPERATOR:
        account = await accounts.create_operator(
            CLI_ACTOR, login=args.login, password=password, display_name=name, **language
        )
    elif role is Role.MANAGER:
        account = await accounts.create_manager(
            CLI_ACTOR,
            login=args.login,
            password=password,
            display_name=name,
            fleet_ids=args.fleet_ids,
            **language,
        )
    else:
        line = await services.lines.get_by_msisdn(args.line)
        account = await accounts.create_employee(
            CLI_ACTOR,
            login=args.login,
            password=password,
            line_id=line.id,
            display_name=args.display_name,
        )
    _out(_account_line(account))
    return 0


@handles("account", "disable")
async def _account_disable(args: argparse.Namespace, services: Services) -> int:
    account = await services.accounts.get_by_login(args.login)
    _out(_account_line(await services.accounts.set_active(CLI_ACTOR, account.id, False)))
    return 0


@handles("account", "enable")
async def _account_enable(args: argparse.Namespace, services: Services) -> int:
    account = await services.accounts.get_by_login(args.login)
    _out(_account_line(await services.accounts.set_active(CLI_ACTOR, account.id, True)))
    return 0


@handles("account", "reset-password")
async def _account_password(args: argparse.Namespace, services: Services) -> int:
    account = await services.accounts.get_by_login(args.login)
    await services.accounts.reset_password(CLI_ACTOR, account.id, _password())
    _out(f"password of {account.login} changed; its sessions ended")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def _password() -> str:
    """The password, from standard input: asked without echo on a terminal, else its first
    line."""
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _confirmed(impact: Impact, yes: bool) -> bool:
    """Print what the removal takes; ask unless ``yes`` (a line of standard input: y/yes)."""
    _out(f"removing {impact.subject} {impact.name!r} takes or leaves:")
    for item in impact.items:
        names = f": {', '.join(item.names)}" if item.names else ""
        rest = item.count - len(item.names)
        more = f" (and {rest} more)" if item.names and rest > 0 else ""
        _out(f"  {item.count} {item.kind.value}{names}{more}")
    if not impact.items:
        _out("  nothing else")
    if yes:
        return True
    sys.stdout.write("remove? [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer in ("y", "yes", "o", "oui"):
        return True
    _out("not removed")
    return False


def _usage(text: str) -> int:
    sys.stderr.write(f"fleetpbx: {text}\n")
    return 2


def _fleet_line(fleet: model.Fleet) -> str:
    return (
        f"{fleet.id}\t{fleet.name}\t{fleet.short_number_length}\t{fleet.language.value}"
        f"\t{fleet.timezone}"
    )


def _account_line(account: model.Account) -> str:
    fleets = ",".join(str(f) for f in account.fleet_ids) or "-"
    state = "active" if account.active else "disabled"
    return f"{account.id}\t{account.login}\t{account.role.value}\t{fleets}\t{state}"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
