"""The container files: docker-compose.yml is checked by a real Compose implementation
(Debian's ``docker-compose`` 1.29, which validates without a Docker engine), the Dockerfile
by reading it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
REQUIRE_TOOLS = "FLEETPBX_REQUIRE_TOOLS"
MISSING = "docker-compose not installed (apt-get install docker-compose)"


def _docker_compose() -> str:
    """The ``docker-compose`` binary; fails under FLEETPBX_REQUIRE_TOOLS=1, skips otherwise."""
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get(REQUIRE_TOOLS) == "1":
            pytest.fail(f"{MISSING}; {REQUIRE_TOOLS}=1 requires it")
        pytest.skip(MISSING)
    return binary


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [_docker_compose(), "-f", str(COMPOSE_FILE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"docker-compose {result.args[3:]} failed:\n{result.stderr}"
    assert "warning" not in result.stderr.lower(), f"docker-compose warned:\n{result.stderr}"


def test_compose_file_is_valid_compose() -> None:
    _assert_clean(_compose("config", "-q"))


def test_compose_file_declares_exactly_db_fleetpbx_netsim_and_the_metrics_profile() -> None:
    result = _compose("config", "--services")
    _assert_clean(result)
    assert sorted(result.stdout.split()) == [
        "db",
        "fleetpbx",
        "fleetpbx-2",
        "grafana",
        "kamailio",
        "netsim",
        "prometheus",
    ]
    services = _config()["services"]
    # a second process and Kamailio only with --profile cluster (issue 15)
    assert {n for n, s in services.items() if "cluster" in s.get("profiles", [])} == {
        "fleetpbx-2",
        "kamailio",
    }
    # Prometheus and Grafana only with --profile metrics
    assert {n for n, s in services.items() if "metrics" in s.get("profiles", [])} == {
        "grafana",
        "prometheus",
    }


def _config() -> dict[str, Any]:
    result = _compose("config")
    _assert_clean(result)
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)
    return loaded


def test_compose_runs_fleetpbx_on_sip_with_netsim_as_its_core_and_smsc() -> None:
    services = _config()["services"]
    fleetpbx, netsim = services["fleetpbx"], services["netsim"]
    serve = " ".join(fleetpbx["command"])
    assert "fleetpbx demo --seed-only --pbx netsim:5080 &&" in serve  # the demo fleet, once
    for option in ("--network sip", "--sip-core netsim:5070", "--sip-media-server netsim:5070"):
        assert option in serve, serve
    env = fleetpbx["environment"]
    assert (env["FLEETPBX_SMPP_HOST"], str(env["FLEETPBX_SMPP_PORT"])) == ("netsim", "2775")
    assert env["FLEETPBX_SIP_ADVERTISED_HOST"] == "fleetpbx"
    subnet = _config()["networks"]["fleet"]["ipam"]["config"][0]["subnet"]
    assert env["FLEETPBX_SIP_TRUSTED_PEERS"] == subnet  # netsim's INVITEs are let in
    command = netsim["command"]
    assert command[:2] == ["fleetpbx", "netsim"]
    options = dict(zip(command[2::2], command[3::2], strict=True))
    assert options["--fleetpbx"] == "fleetpbx:5060"
    assert (options["--sip-port"], options["--smpp-port"]) == ("5070", "2775")
    assert options["--control-host"] == "0.0.0.0"
    assert netsim["depends_on"]["fleetpbx"]["condition"] == "service_healthy"
    published = [(int(p["published"]), int(p["target"])) for p in netsim["ports"]]
    assert published == [(8070, 8070)]  # the console


def test_compose_file_has_no_obsolete_version_key() -> None:
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if line.startswith("version:")]


def test_compose_service_waits_for_healthy_db_and_migrates_on_start() -> None:
    result = _compose("config")
    _assert_clean(result)
    text = result.stdout
    assert "image: postgres:15" in text
    assert "pg_isready" in text
    assert "condition: service_healthy" in text
    assert "FLEETPBX_DATABASE_URL: postgresql+asyncpg://fleetpbx:fleetpbx@db:5432/fleetpbx" in text
    assert "FLEETPBX_LOG_FORMAT: json" in text
    assert "--migrate" in text
    assert "/healthz" in text
    assert "restart: unless-stopped" in text
    assert "published: 8080" in text
    assert "target: 8080" in text


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    joined: list[str] = []
    pending = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        joined.append(pending)
    result = []
    for line in joined:
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def _words(arguments: str) -> list[str]:
    """Exec form (JSON array) or shell form."""
    if arguments.startswith("["):
        words = json.loads(arguments)
        assert isinstance(words, list)
        return [str(word) for word in words]
    return shlex.split(arguments)


def test_dockerfile_starts_the_service_with_migrations() -> None:
    instructions = _instructions(DOCKERFILE)
    command: list[str] = []
    for keyword, arguments in instructions:
        if keyword in {"ENTRYPOINT", "CMD"}:
            command += _words(arguments)
    assert "fleetpbx" in command, command
    assert command[command.index("fleetpbx") + 1] == "serve", command
    assert "--migrate" in command, command
    assert [kw for kw, _ in instructions if kw == "USER"], "the image must not run as root"
    assert ("EXPOSE", "8080") in instructions
    health = [args for kw, args in instructions if kw == "HEALTHCHECK"]
    assert health, "the image needs a HEALTHCHECK"
    assert "urllib" in health[0]
    assert "/healthz" in health[0]


def test_dockerfile_copies_every_package_and_only_existing_ones() -> None:
    copied: list[str] = []
    for keyword, arguments in _instructions(DOCKERFILE):
        if keyword not in {"COPY", "ADD"}:
            continue
        words = [word for word in shlex.split(arguments) if not word.startswith("--")]
        copied += words[:-1]
    directories = {source.rstrip("/") for source in copied if source.endswith("/")}
    assert "pyproject.toml" in copied
    for directory in sorted(directories):
        assert (REPO / directory / "__init__.py").is_file(), f"COPY {directory}/: no such package"

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    assert packages <= directories, f"packages not copied: {sorted(packages - directories)}"
