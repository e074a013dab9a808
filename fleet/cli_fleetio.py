"""``fleetpbx fleet import|export``: a fleet's bulk import and export from the command line
(``fleet.services.fleetio``), journalled as the CLI.

``export FLEET_ID [--format csv|json] [-o FILE]`` writes the fleet's lines (CSV) or whole
configuration (JSON) to FILE or standard output. ``import FLEET_ID FILE [--dry-run]`` checks
every row, prints what it changes (or would change) and every faulty row; the format is
taken from the file's extension unless ``--format`` says it. Exit status: 0 when the file
was applied, previewed or changed nothing, 1 when rows are faulty (nothing written), 2 when
the file cannot be read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.core.values import Actor, Channel, Language
from fleet.services.container import Services
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format, ImportReport

CLI_ACTOR = Actor(name="cli", channel=Channel.CLI)
VERBS = ("import", "export")  # the verbs of ``fleetpbx fleet`` this module runs


def add_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    """Add ``import`` and ``export`` to the ``fleet`` command's verbs."""
    formats = [f.value for f in Format]
    export = verbs.add_parser("export", parents=[common], help="export a fleet (CSV or JSON)")
    export.add_argument("fleet_id", type=int)
    export.add_argument("--format", choices=formats, default=Format.CSV.value)
    export.add_argument("-o", "--output", type=Path, help="the file to write (default: stdout)")
    imported = verbs.add_parser(
        "import", parents=[common], help="import a CSV of lines or a JSON configuration"
    )
    imported.add_argument("fleet_id", type=int)
    imported.add_argument("file", type=Path)
    imported.add_argument("--format", choices=formats, help="default: from the file's extension")
    imported.add_argument("--dry-run", action="store_true", help="check and preview only")
    imported.add_argument(
        "--language",
        choices=[lang.value for lang in Language],
        default=Language.EN.value,
        help="the language of the faults' reasons",
    )


async def handle(args: argparse.Namespace, services: Services) -> int:
    """``fleet import`` / ``fleet export`` (registered in :mod:`fleet.cli_fleets`)."""
    if args.verb == "export":
        data = await services.fleetio.export(args.fleet_id, Format(args.format))
        if args.output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            args.output.write_bytes(data)
        return 0
    fmt = Format(args.format) if args.format else _guess(args.file)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"fleetpbx: cannot read {args.file}: {exc.strerror}\n")
        return 2
    report = await services.fleetio.import_file(
        CLI_ACTOR, args.fleet_id, decode(data, fmt), dry_run=args.dry_run
    )
    _print(report, Language(args.language), dry_run=args.dry_run)
    return 1 if report.faults else 0


def _guess(path: Path) -> Format:
    return Format.JSON if path.suffix.lower() == ".json" else Format.CSV


def _print(report: ImportReport, language: Language, *, dry_run: bool) -> None:
    for change in report.changes:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        _out(f"{change.where}\t{change.action.value}\t{change.entity}\t{change.key}{fields}")
    for fault in report.faults:
        sys.stderr.write(
            f"{fault.where}\t{fault.error.code.value}\t{fault.error.message(language)}\n"
        )
    if report.faults:
        verdict = f"{len(report.faults)} faulty row(s): nothing written"
    elif report.applied:
        verdict = "applied"
    elif dry_run and report.changes:
        verdict = "preview: nothing written"
    else:
        verdict = "nothing to change"
    _out(
        f"{verdict}: {report.created} to create, {report.updated} to change, "
        f"{report.unchanged} unchanged"
        if not report.applied
        else f"{verdict}: {report.created} created, {report.updated} changed, "
        f"{report.unchanged} unchanged"
    )


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
