"""The fleetpbx command: demo (as a subprocess, like the README), db, seed, check-config."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fleet.app import build_services
from fleet.cli import main
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.db.engine import create_engine
from tests.polling import wait_until

FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> dict[str, object]:
    def healthy() -> dict[str, object] | None:
        if process.poll() is not None:
            raise AssertionError(f"demo exited early: {process.communicate()}")
        try:
            status, body = _get(url)
        except OSError:
            return None
        return body if status == 200 else None

    return wait_until(healthy, within=90, what="the demo answering /healthz")


def _handset(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `fleetpbx handset`, retrying while the demo's SMPP bind comes up."""

    def dialled() -> subprocess.CompletedProcess[str] | None:
        done = subprocess.run(
            [FLEETPBX, "handset", *args, "--in-process", "--url", f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done if done.returncode == 0 else None

    return wait_until(dialled, within=60, every=0.2, what=f"fleetpbx handset {args} answering")


def test_the_in_process_demo_serves_healthz_and_feature_codes(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FLEETPBX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    process = subprocess.Popen(
        [FLEETPBX, "demo", "--in-process", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert body["status"] == "ok" and body["database"] == "ok"
        # the README's feature-code example works against the running demo
        handset = _handset(port, "0611000001", "**21*0145678910#")
        assert handset.stdout.strip() == "Renvoi immédiat activé vers 01 45 67 89 10."
        menu = _handset(port, "0611000001", "*700#", "0")
        assert menu.stdout.splitlines()[-1] == "Au revoir."
        url = f"http://127.0.0.1:{port}"
        refused = subprocess.run(  # a wrong group code: said, and exit 3
            [
                FLEETPBX,
                "handset",
                "0611000002",
                "*55*0609182236*0000#",
                "--in-process",
                "--url",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 3, refused
        assert "code" in refused.stdout.lower()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/healthz" in out
    assert "gestionnaire" in out and "demo-gestionnaire" in out
    assert "madame.b" in out
    assert "heap_settled" in out + err  # the long-lived start-up heap is frozen
    assert "event_loop=uvloop" in out + err  # uvloop is a dependency: the service runs on it


def test_demo_seeds_once_and_a_second_start_finds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fleet import demo

    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0

    async def run() -> tuple[bool, bool, int]:
        settings = load_settings(cli={"database_url": url}, env={})
        engine = create_engine(url)
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        first = await demo.ensure_demo(services)
        second = await demo.ensure_demo(services)
        groups = await services.groups.in_fleet(first.fleet_id)
        await engine.dispose()
        return first.created, second.created, len(groups)

    assert asyncio.run(run()) == (True, False, 2)


def test_db_upgrade_downgrade_and_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert main(["db", "current", "--database-url", url]) == 0
    from fleet.db import migrate

    assert capsys.readouterr().out.strip().endswith(str(migrate.head()))
    assert main(["db", "downgrade", "base", "--database-url", url]) == 0
    assert "revision None" in capsys.readouterr().out


def _seeded_lines(url: str) -> list[tuple[str, str, str | None]]:
    async def run() -> list[tuple[str, str, str | None]]:
        settings = load_settings(cli={"database_url": url}, env={})
        engine = create_engine(url)
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        out = []
        for fleet in await services.fleets.all():
            page = await services.lines.search(fleet.id, limit=500)
            out += [(fleet.name, line.employee_name, line.msisdn.value) for line in page.items]
        await engine.dispose()
        return sorted(out)

    return asyncio.run(run())


def test_seed_is_deterministic_for_a_given_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [f"sqlite+aiosqlite:///{tmp_path / f's{i}.db'}" for i in range(3)]
    for url, seed in zip(urls, (7, 7, 8), strict=True):
        args = [
            "seed",
            "--fleets",
            "2",
            "--lines",
            "30",
            "--seed",
            str(seed),
            "--database-url",
            url,
        ]
        assert main(args) == 0
    assert "seeded 2 fleet(s)" in capsys.readouterr().out
    first, again, other = (_seeded_lines(u) for u in urls)
    assert len(first) == 60
    assert first == again
    assert first != other


def test_seed_refuses_negative_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'neg.db'}"
    assert main(["seed", "--lines", "-1", "--database-url", url]) == 2
    assert "zero or more" in capsys.readouterr().err


def test_check_config_shows_values_and_their_sources(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEETPBX_PORT", "9123")
    assert main(["check-config", "--database-url", "postgresql+asyncpg://u:pw@h/db"]) == 0
    out = capsys.readouterr().out
    assert "port = 9123    # environment FLEETPBX_PORT" in out
    assert '"postgresql+asyncpg://u:***@h/db"    # command line' in out


def test_bad_configuration_exits_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEETPBX_PORT", "not-a-port")
    assert main(["check-config"]) == 2
    assert "port" in capsys.readouterr().err


def test_trunk_commands_add_list_show_change_and_remove_a_trunk(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trunks.db'}"
    assert main(["seed", "--fleets", "1", "--lines", "5", "--database-url", url]) == 0
    capsys.readouterr()
    db = ["--database-url", url]
    add = ["trunk", "add", "1", "trunk-lyon", "--mode", "registration", "--username", "lyon"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    refused = main([*add, "--realm", "fleet.example", "--secret-stdin", *db])
    assert refused == 1 and "sip_trunk_secret_key" in capsys.readouterr().err  # no key: no secret
    monkeypatch.setenv("FLEETPBX_SIP_TRUNK_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert main([*add, "--realm", "fleet.example", "--secret-stdin", *db]) == 0
    added = capsys.readouterr().out
    assert "trunk-lyon\tregistration\t(registers)\tudp\tunknown\tsecret" in added
    trunk_id = added.split("\t")[0]
    assert main(["trunk", "list", "1", *db]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [row.split("\t")[1] for row in listed] == ["trunk-lyon", "trunk-siege"]
    assert main(["trunk", "set", trunk_id, "--history", "diversion", "--realm", "pbx", *db]) == 0
    capsys.readouterr()
    assert main(["trunk", "show", trunk_id, *db]) == 0
    shown = capsys.readouterr().out
    assert "history = diversion" in shown and "realm = pbx" in shown
    assert "has_secret = True" in shown and "s3cret" not in shown
    siege = listed[1].split("\t")[0]
    assert main(["trunk", "remove", siege, *db]) == 1
    assert "trunk_in_use" in capsys.readouterr().err
    assert main(["trunk", "remove", trunk_id, *db]) == 0
    assert main(["trunk", "show", trunk_id, *db]) == 1


def test_serve_on_sip_with_a_core_name_that_does_not_resolve_says_which_setting(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "FLEETPBX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sip.db'}"}
    done = subprocess.run(
        [
            *(FLEETPBX, "serve", "--migrate", "--port", str(_free_port())),
            *("--network", "sip", "--sip-port", "0", "--sip-core", "nowhere.invalid:5060"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr and "sip_trusted_peers" in done.stderr
    assert "Traceback" not in done.stderr


def test_fleet_export_then_import_into_another_fleet_and_a_faulty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fleetio.db'}"
    assert main(["seed", "--fleets", "1", "--lines", "5", "--database-url", url]) == 0
    capsys.readouterr()
    db = ["--database-url", url]
    exported = tmp_path / "fleet.csv"
    assert main(["fleet", "export", "1", "--format", "csv", "-o", str(exported), *db]) == 0
    assert len(exported.read_text("utf-8-sig").splitlines()) == 6
    assert main(["fleet", "import", "1", str(exported), *db]) == 0
    assert "nothing to change: 0 to create, 0 to change, 5 unchanged" in capsys.readouterr().out
    new = tmp_path / "new.csv"
    new.write_text("msisdn;employee_name\n0611009001;Léa\n", "utf-8")
    assert main(["fleet", "import", "1", str(new), "--dry-run", *db]) == 0
    assert "preview: nothing written: 1 to create" in capsys.readouterr().out
    assert main(["fleet", "import", "1", str(new), *db]) == 0
    assert "2\tcreate\tline\t06 11 00 90 01" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("msisdn;employee_name\n0612;Court\n", "utf-8")
    assert main(["fleet", "import", "1", str(bad), "--language", "fr", *db]) == 1
    assert "2\tnumber_invalid\t« 0612 » n'est pas un numéro valide." in capsys.readouterr().err
    assert main(["fleet", "import", "1", str(tmp_path / "absent.csv"), *db]) == 2
    assert main(["fleet", "export", "1", "--format", "json", *db]) == 0
    assert '"format": "fleetpbx.fleet"' in capsys.readouterr().out
