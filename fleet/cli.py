"""The ``fleetpbx`` command: serve, demo, db, seed, fleet, line, account, trunk,
check-config."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

import structlog
from aiohttp import web

from fleet import cli_cache, cli_demo, cli_fleets, cli_handset, cli_netsim, cli_trunks, logs
from fleet.app import build_app, build_services
from fleet.app_sip import trusted_peers
from fleet.config import ConfigError, NetworkKind, Settings, load_settings
from fleet.core.clock import SystemClock
from fleet.core.errors import DomainError
from fleet.core.values import Language
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.demo import DemoInfo
from fleet.eventloop import new_loop
from fleet.exchange.ids import process_prefix
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from fleet.sipnet.edge import core_peer
from fleet.version import version

log = structlog.get_logger("fleet.cli")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", dest="config_file", help="TOML configuration file")
    common.add_argument("--database-url", dest="database_url", help="database URL")
    common.add_argument("--log-level", dest="log_level", help="debug, info, warning, error")
    common.add_argument("--log-format", dest="log_format", help="console or json")

    parser = argparse.ArgumentParser(
        prog="fleetpbx", description="FleetPBX, the mobile-fleet PABX", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"fleetpbx {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--sip-port", dest="sip_port", type=int, help="SIP over UDP and TCP (0: a free port)"
    )
    serve.add_argument(
        "--network", choices=["simulated", "sip"], help="the call engine's network (simulated)"
    )
    serve.add_argument(
        "--sip-core", dest="sip_core", help="network sip: the core, host:port[;transport=tcp]"
    )
    serve.add_argument(
        "--sip-media-server",
        dest="sip_media_server",
        help="network sip: the media server playing announcements, host:port[;transport=tcp]",
    )
    serve.add_argument(
        "--migrate", action="store_true", help="upgrade the database schema before starting"
    )

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="migrate, seed the demo fleet, run the service and netsim (its console)",
    )
    cli_demo.add_arguments(demo)

    db = sub.add_parser("db", parents=[common], help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", parents=[common], help="upgrade to a revision (head)")
    up.add_argument("revision", nargs="?", default="head")
    down = db_sub.add_parser("downgrade", parents=[common], help="downgrade to a revision")
    down.add_argument("revision")
    db_sub.add_parser("current", parents=[common], help="show the current revision")

    seed = sub.add_parser("seed", parents=[common], help="create fake fleets (Faker fr_FR)")
    seed.add_argument("--fleets", type=int, default=1)
    seed.add_argument("--lines", type=int, default=50)
    seed.add_argument("--groups", type=int, default=None, help="groups per fleet (lines/20)")
    seed.add_argument("--seed", type=int, default=1)

    simulate = sub.add_parser(
        "simulate",
        parents=[common],
        help="run a call scenario (YAML) on the simulated network, print its timeline",
    )
    simulate.add_argument("scenario", nargs="?", help="a shipped scenario name or a YAML file")
    simulate.add_argument("--list", action="store_true", help="list the shipped scenarios")

    cli_handset.add_parser(sub, common)
    cli_fleets.add_parsers(sub, common)
    cli_trunks.add_parser(sub, common)
    cli_netsim.add_parser(sub, common)
    cli_cache.add_parser(sub, common)
    sub.add_parser("check-config", parents=[common], help="show the effective configuration")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    cli: dict[str, Any] = {
        "database_url": args.database_url,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "sip_port": getattr(args, "sip_port", None),
        "network": getattr(args, "network", None),
        "sip_core": getattr(args, "sip_core", None),
        "sip_media_server": getattr(args, "sip_media_server", None),
    }
    return load_settings(cli=cli, config_file=args.config_file)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        sys.stderr.write(f"fleetpbx: configuration error: {exc}\n")
        return 2
    process = process_prefix()  # the prefix of this process's call ids, in every log
    logs.configure(level=settings.log_level, fmt=settings.log_format, process=process)
    try:
        return _dispatch(args, settings, process)
    except DomainError as exc:
        sys.stderr.write(f"fleetpbx: {exc.code.value}: {exc.message(Language.EN)}\n")
        return 1
    except ConfigError as exc:  # found while starting (a name that does not resolve…)
        sys.stderr.write(f"fleetpbx: configuration error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings, process: str) -> int:
    command = args.command
    if command == "check-config":
        return _check_config(settings)
    if command == "db":
        return asyncio.run(_db(args, settings))
    if command == "seed":
        return asyncio.run(_seed(args, settings))
    if command in cli_fleets.COMMANDS:
        return asyncio.run(cli_fleets.run(args, settings))
    if command == "trunk":
        return asyncio.run(cli_trunks.run(args, settings))
    if command == "cache":
        return asyncio.run(cli_cache.run(args, settings))
    if command == "simulate":
        return _simulate(args, settings)
    if command == "handset":
        return cli_handset.run(args, service=f"http://{settings.host}:{settings.port}")
    if command == "netsim":
        return cli_netsim.run(args, settings)
    if command == "serve":
        if args.migrate:
            asyncio.run(migrate.upgrade(settings.database_url))
        _serve(settings, process)
        return 0
    if command == "demo" and args.seed_only:
        _demo_heading(settings, asyncio.run(_seed_demo(settings, cli_demo.pbx_address(args.pbx))))
        return 0
    if command == "demo" and args.in_process:
        settings = dataclasses.replace(settings, simulator=True)
        _demo_banner(settings, asyncio.run(_seed_demo(settings, cli_demo.pbx_address(args.pbx))))
        _serve(settings, process)
        return 0
    if command == "demo":
        pbx = cli_demo.pbx_address(args.pbx)
        return cli_demo.run(
            args,
            settings,
            prepare=lambda s: _prepare_netsim_demo(s, pbx),
            banner=_netsim_banner,
            process=process,
        )
    raise AssertionError(command)


def _check_config(settings: Settings) -> int:
    values = settings.redacted()
    for name, value in values.items():
        source = settings.sources.get(name, "")
        shown = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
        _out(f"{name} = {shown}" + (f"    # {source}" if source else ""))
    return 0


async def _db(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    if args.db_command == "upgrade":
        await migrate.upgrade(url, args.revision)
        _out(f"database at revision {await migrate.current(url)}")
    elif args.db_command == "downgrade":
        await migrate.downgrade(url, args.revision)
        _out(f"database at revision {await migrate.current(url)}")
    else:
        _out(str(await migrate.current(url)))
    return 0


async def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from fleet.seed import SeedError, seed

    if args.fleets < 0 or args.lines < 0 or (args.groups is not None and args.groups < 0):
        sys.stderr.write("fleetpbx: --fleets, --lines and --groups must be zero or more\n")
        return 2
    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed(
            services, fleets=args.fleets, lines=args.lines, seed=args.seed, groups=args.groups
        )
    except SeedError as exc:  # a row the rules refuse: that fleet stays empty
        sys.stderr.write(f"fleetpbx: {exc}\n")
        return 1
    finally:
        await engine.dispose()
    _out(
        f"seeded {len(report.fleet_ids)} fleet(s) {report.fleet_ids}: {report.lines} lines, "
        f"{report.fixed_numbers} fixed numbers, {report.forwardings} forwardings, "
        f"{report.incoming_lists} incoming lists, {report.groups} call groups"
    )
    return 0


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from simulators import scenario as scenarios

    if args.list or not args.scenario:
        for path in sorted(scenarios.SCENARIOS.glob("*.yaml")):
            loaded = scenarios.load(path)
            _out(f"{path.stem:15} {loaded.name}")
        return 0 if args.list else 2
    try:
        loaded = scenarios.load(scenarios.find(args.scenario), policy=settings.number_policy())
    except scenarios.ScenarioError as exc:
        sys.stderr.write(f"fleetpbx: {exc}\n")
        return 2
    return asyncio.run(_run_scenario(loaded, settings))


async def _run_scenario(loaded: Any, settings: Settings) -> int:
    from fleet import demo
    from fleet.exchange.scenarios import play_scenario
    from simulators import runner
    from simulators.setup import SetupError

    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    errors: list[str] = []
    try:
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        await demo.ensure_demo(services)
        directory = CachedDirectory(services=services)
        await directory.load_all()
        writer = RecordWriter(calls=services.calls, on_error=lambda r, e: errors.append(repr(e)))
        try:
            result = play_scenario(
                loaded, directory, policy=settings.number_policy(), recorder=writer
            )
        except SetupError as exc:
            sys.stderr.write(f"fleetpbx: {exc}\n")
            return 2
        await writer.flush()
    finally:
        await engine.dispose()
    result.failures += [f"call record not written: {error}" for error in errors]
    for line in runner.render(loaded, result):
        _out(line)
    return 0 if result.ok else 1


async def _seed_demo(settings: Settings, pbx: tuple[str, int]) -> DemoInfo:
    from fleet import demo

    await migrate.upgrade(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        return await demo.ensure_demo(services, pbx=pbx)
    finally:
        await engine.dispose()


def _demo_heading(settings: Settings, info: DemoInfo) -> None:
    from fleet import demo

    _out("FleetPBX demo")
    _out(f"  database       {settings.redacted()['database_url']}")
    _out(
        f"  demo fleet     {demo.DEMO_FLEET} (id {info.fleet_id})"
        + (" created" if info.created else " already there")
    )


def _demo_accounts() -> None:
    from fleet import demo

    _out(f"  manager        login {demo.MANAGER_LOGIN!r} password {demo.MANAGER_PASSWORD!r}")
    _out(f"  employee       login {demo.EMPLOYEE_LOGIN!r} password {demo.EMPLOYEE_PASSWORD!r}")
    _out("  stop with Ctrl-C")


def _demo_banner(settings: Settings, info: DemoInfo) -> None:
    """The in-process demo's banner (``fleetpbx demo --in-process``)."""
    base = f"http://{settings.host}:{settings.port}"
    _demo_heading(settings, info)
    _out(f"  health         {base}/healthz")
    _out(
        f'  simulator      {base}/sim  (handsets; POST /sim/dial {{"from", "to"}}, '
        "/sim/answer, /sim/hold, /sim/transfer, /sim/conference, /sim/hang_up)"
    )
    _out(f"  timeline       {base}/sim/timeline")
    _out("  feature codes  fleetpbx handset 0611000001 '**21*0145678910#'   (menu: '*700#')")
    _demo_accounts()


def _prepare_netsim_demo(settings: Settings, pbx: tuple[str, int]) -> DemoInfo:
    trusted_peers(settings, core_peer(settings.sip_core))  # said before anything starts
    return asyncio.run(_seed_demo(settings, pbx))


def _netsim_banner(settings: Settings, ports: cli_demo.DemoPorts, info: DemoInfo) -> None:
    base = f"http://{settings.host}:{settings.port}"
    console = f"http://{settings.host}:{ports.console}"
    _demo_heading(settings, info)
    _out(f"  console        {console}/  (netsim: the handsets, the calls, the timeline)")
    _out(f"  portals, API   {base}/  (health {base}/healthz)")
    host = settings.sip_host
    _out(f"  SIP            FleetPBX {host}:{ports.sip}, netsim {host}:{ports.netsim_sip}")
    _out(f"  SMPP           netsim's SMSC / USSD gateway {host}:{ports.smpp}")
    _out(
        f"  network        {console}/handsets, POST {console}/dial "
        '{"from", "to"}, /answer, /hang_up, /hold (netsim\'s control API)'
    )
    url = "" if ports.console == cli_demo.CONSOLE_PORT else f" --url {console}"
    _out(f"  feature codes  fleetpbx handset 0611000001 '**21*0145678910#'{url}   (menu: '*700#')")
    _demo_accounts()


def _serve(settings: Settings, process: str) -> None:
    if settings.network is NetworkKind.SIP:  # before anything starts: said, nothing to undo
        trusted_peers(settings, core_peer(settings.sip_core))
    app = build_app(settings=settings, settle_heap=True, process=process)
    loop, loop_name = new_loop()
    log.info("serving", host=settings.host, port=settings.port, event_loop=loop_name)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None, loop=loop)


if __name__ == "__main__":
    raise SystemExit(main())
