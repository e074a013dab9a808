"""``fleetpbx fleet|line|account``: an operator's provisioning from the command line; the
password read from standard input and never printed; a removal prints what it takes and
asks first."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from fleet.cli import main

PASSWORD = "un-mot-de-passe"


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fleets.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    capsys.readouterr()
    return ["--database-url", url]


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_an_operator_account_then_a_company_with_lines_and_a_manager_from_the_command_line(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["account", "add", "ops", "--role", "operator", "--name", "Ops", *db]) == 0
    out = capsys.readouterr().out
    assert "\tops\toperator\t-\tactive" in out and PASSWORD not in out
    assert main(["fleet", "create", "Ambulances", "--short-number-length", "3", *db]) == 0
    fleet_id = capsys.readouterr().out.split("\t")[0]
    for number, name, short in (("0633000001", "Alice", "101"), ("0633000002", "Bruno", "102")):
        assert main(["line", "add", fleet_id, number, name, "--short-number", short, *db]) == 0
    assert "06 33 00 00 02\t102\tBruno" in capsys.readouterr().out
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["account", "add", "amb.chef", "--role", "manager", "--fleet", fleet_id, *db]) == 0
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["account", "add", "alice", "--role", "employee", "--line", "0633000001", *db]) == 0
    capsys.readouterr()
    assert main(["fleet", "show", fleet_id, *db]) == 0
    shown = capsys.readouterr().out
    assert "lines\t2" in shown
    assert "\tamb.chef\tmanager\t" in shown and "\talice\temployee\t" in shown
    assert main(["fleet", "list", *db]) == 0
    assert "Ambulances" in capsys.readouterr().out


def test_account_rules_are_said_with_exit_2_and_passwords_never_on_the_command_line(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["account", "add", "x.mgr", "--role", "manager", *db]) == 2
    assert "--fleet" in capsys.readouterr().err
    assert main(["account", "add", "x.ops", "--role", "operator", "--fleet", "1", *db]) == 2
    with pytest.raises(SystemExit):
        main(["account", "add", "x.ops", "--role", "operator", "--password", PASSWORD, *db])
    _stdin(monkeypatch, "court\n")
    assert main(["account", "add", "x.ops", "--role", "operator", *db]) == 1
    assert "password_too_weak" in capsys.readouterr().err


def test_disable_enable_and_reset_password_of_an_account(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["account", "add", "ops", "--role", "operator", *db]) == 0
    assert main(["account", "disable", "ops", *db]) == 0
    assert capsys.readouterr().out.strip().endswith("disabled")
    assert main(["account", "enable", "ops", *db]) == 0
    assert capsys.readouterr().out.strip().endswith("active")
    _stdin(monkeypatch, "un-tout-nouveau-secret\n")
    assert main(["account", "reset-password", "ops", *db]) == 0
    out = capsys.readouterr().out
    assert "changed" in out and "un-tout-nouveau-secret" not in out
    assert main(["account", "disable", "nobody", *db]) == 1


def test_removing_a_line_or_a_fleet_prints_what_it_takes_and_asks_first(
    db: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["fleet", "create", "Ambulances", *db]) == 0
    fleet_id = capsys.readouterr().out.split("\t")[0]
    assert main(["line", "add", fleet_id, "0633000001", "Alice", *db]) == 0
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["account", "add", "alice", "--role", "employee", "--line", "0633000001", *db]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "n\n")
    assert main(["line", "remove", "0633000001", *db]) == 1
    said = capsys.readouterr().out
    assert "1 accounts_removed: alice" in said and "not removed" in said
    _stdin(monkeypatch, "y\n")
    assert main(["line", "remove", "06 33 00 00 01", *db]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["line", "add", fleet_id, "0633000002", "Bruno", *db]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "")
    assert main(["fleet", "delete", fleet_id, *db]) == 1
    assert "1 lines: 06 33 00 00 02 Bruno" in capsys.readouterr().out
    assert main(["fleet", "delete", fleet_id, "--yes", *db]) == 0
    assert main(["fleet", "show", fleet_id, *db]) == 1
