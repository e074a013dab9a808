"""deploy/: the Grafana dashboard loads, chooses its data source by a variable, and every
``fleetpbx_`` name its panels query is one the service exports (and every family the
service exports has a panel); Prometheus scrapes the compose file's FleetPBX."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from fleet.app import GATEWAY, build_app
from fleet.config import load_settings
from tests.polling import eventually

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
NAME = re.compile(r"\bfleetpbx_[a-z0-9_]+")


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana" / "fleetpbx.json").read_text())
    return loaded


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in board["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # a collapsed row holds its panels
    return [p for p in found if p["type"] != "row"]


async def exported(aiohttp_client: ClientFactory, database_url: str) -> dict[str, set[str]]:
    """What ``/metrics`` shows of a service with every part running (the simulated network
    with its SMSC, and the SIP stack): sample names by family."""
    cli = {"database_url": database_url, "simulator": True, "sip_port": 0}
    client = await aiohttp_client(build_app(settings=load_settings(cli=cli, env={})))
    gateway = client.app[GATEWAY]

    async def bound() -> bool:
        return gateway.bound

    await eventually(bound, what="the SMPP bind")
    response = await client.get("/metrics")
    assert response.status == 200
    return {
        family.name: {s.name for s in family.samples}
        for family in text_string_to_metric_families(await response.text())
    }


async def test_every_dashboard_query_names_a_metric_the_service_exports(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    families = await exported(aiohttp_client, database_url)
    samples = set().union(*families.values())
    queried: set[str] = set()
    ids = set()
    for panel in panels(board):
        ids.add(panel["id"])
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(NAME.findall(target["expr"]))
            assert names <= samples, (panel["title"], names - samples)
            queried |= names
    assert len(ids) == len(panels(board))  # Grafana needs distinct panel ids
    ours = {
        name
        for name, found in families.items()
        if name.startswith("fleetpbx_") and not name.endswith("_created")
    }
    # every family the service exports is on the dashboard (one of its samples queried)
    unshown = {name for name in ours if not families[name] & queried}
    assert not unshown, unshown


def test_prometheus_scrapes_the_compose_files_fleetpbx_at_its_metrics_path() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "fleetpbx"]
    assert job["metrics_path"] == "/metrics"
    targets = [t for group in job["static_configs"] for t in group["targets"]]
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    fleetpbx = compose["services"]["fleetpbx"]
    assert "fleetpbx:8080" in targets and "--port 8080" in " ".join(fleetpbx["command"])
    allowed = fleetpbx["environment"]["FLEETPBX_METRICS_ALLOWED"]
    subnet = compose["networks"]["fleet"]["ipam"]["config"][0]["subnet"]
    assert subnet in allowed.split(",")  # Prometheus on the compose network may read it
    prometheus = compose["services"]["prometheus"]
    assert any("deploy/prometheus/prometheus.yml" in v for v in prometheus["volumes"])
