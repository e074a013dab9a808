"""``fleetpbx --version``, and one process seen from outside: its logs carry ``process``
(its id, the prefix of its call ids) beside ``call_id`` and ``fleet_id``, and its
``/metrics`` names the same id and counts the call it took."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from fleet import logs
from fleet.cli import main
from tests.polling import wait_until
from tests.ports import free_port
from tests.test_cli import FLEETPBX, _wait_healthy


def test_version_prints_the_installed_package_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"fleetpbx {metadata.version('fleetpbx')}"
    done = subprocess.run([FLEETPBX, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, f"fleetpbx {metadata.version('fleetpbx')}")


def test_every_log_event_carries_the_process_beside_what_it_binds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = structlog.get_config()
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    try:
        logs.configure(fmt="json", process="0abc123xyz")
        structlog.get_logger("fleet.calls").info("call_released", call_id="c1", fleet_id=3)
        structlog.get_logger("other").warning("something", process="kept")
    finally:
        structlog.configure(**saved)
    first, second = (json.loads(line) for line in err.getvalue().splitlines())
    assert (first["process"], first["call_id"], first["fleet_id"]) == ("0abc123xyz", "c1", 3)
    assert second["process"] == "kept"  # what an event binds itself wins


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


def _post(url: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status in (200, 201)


@pytest.mark.slow
def test_the_served_process_logs_and_exports_one_id_its_calls_carry(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FLEETPBX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    command = [FLEETPBX, "demo", "--in-process", "--log-format", "json", "--log-level", "debug"]
    log_file = tmp_path / "service.log"  # a file: a pipe nobody reads would fill and block
    with log_file.open("w") as log_out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_out,
            text=True,
        )
    try:
        _wait_healthy(f"{base}/healthz", process)
        _post(f"{base}/sim/dial", {"from": "0699000001", "to": "0611000003"})
        _post(f"{base}/sim/hang_up", {"number": "0699000001"})

        def counted() -> str | None:
            text = _get(f"{base}/metrics")
            return text if 'outcome="abandoned"' in text and _attempts(text) == 1 else None

        scraped = wait_until(counted, within=60, what="/metrics counting the call")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    err = log_file.read_text()
    assert process.returncode == 0, err[-2000:]
    (info,) = (
        s
        for f in text_string_to_metric_families(scraped)
        for s in f.samples
        if s.name == "fleetpbx_build_info"
    )
    pid = info.labels["process"]
    assert info.labels["version"] == metadata.version("fleetpbx")
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert events and all(e["process"] == pid for e in events)
    released = [e for e in events if e["event"] == "call_released"]
    assert len(released) == 1
    assert released[0]["call_id"].startswith(f"{pid}-") and released[0]["fleet_id"] == 1


def _attempts(text: str) -> float:
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "fleetpbx_call_attempts_total"
    )
