"""``fleetpbx demo`` as the README runs it: FleetPBX on SIP and netsim in one process on the
demo fleet. A call placed through netsim's control API between two lines of the demo fleet
rings the callee showing the caller, is answered and hung up, and leaves FleetPBX's two call
records (originating and terminating visits) correlated by netsim's ICID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fleet import demo
from fleet.core.model import CallRecord
from fleet.services.container import Services
from tests.netsim.processes import with_services
from tests.polling import eventually
from tests.ports import free_port

FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))
STARTED_WITHIN = 90.0  # a start (migrations, the demo fleet) on a busy machine
WITHIN = 60.0

pytestmark = pytest.mark.slow


async def _request(method: str, url: str, body: object | None = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        http.request(method, url, json=body) as response,
    ):
        return response.status, await response.json(content_type=None)


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:]


async def _answering(url: str, process: asyncio.subprocess.Process, log: Path) -> bool:
    if process.returncode is not None:
        raise AssertionError(f"the demo exited at its start:\n{_tail(log)}")
    try:
        status, _ = await _request("GET", url)
    except (OSError, aiohttp.ClientError, TimeoutError):
        return False
    return status == 200


async def test_the_demo_runs_fleetpbx_and_netsim_and_a_call_between_two_lines_is_recorded(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    http, console, pbx = free_port(), free_port(), free_port()
    env = {**os.environ, "FLEETPBX_DATABASE_URL": database_url}
    log = tmp_path / "demo.log"
    command = [
        FLEETPBX, "demo", "--port", str(http), "--console-port", str(console),
        "--sip-port", "0", "--netsim-sip-port", "0", "--smpp-port", "0", "--answer-after", "600",
        "--pbx", f"127.0.0.1:{pbx}",  # where netsim plays the company PBX
        "--reload-every", "0",  # netsim reads the fleets again only for the changes it follows
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    control = f"http://127.0.0.1:{console}"
    try:
        for url in (f"http://127.0.0.1:{http}/healthz", f"{control}/healthz"):
            await eventually(
                lambda url=url: _answering(url, process, log),  # type: ignore[misc]
                within=STARTED_WITHIN,
                every=0.2,
                what=f"{url} answering",
            )
        status, call = await _request(
            "POST", f"{control}/dial", {"from": "06 11 00 00 01", "to": "2002"}
        )
        assert status == 201, call

        async def ringing() -> bool:
            _, handset = await _request("GET", f"{control}/handsets/0611000002")
            return bool(handset["screen"]["ringing_from"] == "06 11 00 00 01")

        await eventually(ringing, within=WITHIN, every=0.1, what="Madame B ringing")
        status, _ = await _request("POST", f"{control}/answer", {"number": "0611000002"})
        assert status == 200

        async def in_call() -> bool:
            _, handset = await _request("GET", f"{control}/handsets/0611000001")
            return bool(handset["screen"]["in_call_with"])

        await eventually(in_call, within=WITHIN, every=0.1, what="Monsieur A in the call")
        status, _ = await _request("POST", f"{control}/hang_up", {"number": "0611000001"})
        assert status == 200

        async def idle() -> bool:
            _, health = await _request("GET", f"{control}/healthz")
            return bool(health["calls"] == 0 and health["sip_entries"] == 0)

        await eventually(idle, within=WITHIN, every=0.1, what="netsim idle")
        records = await with_services(database_url, lambda s: _records(s, call["icid"]))
        # Monsieur D off: his not-reachable forwarding rings his desk on the company PBX,
        # which netsim plays on the demo trunk's address
        _, pbxs = await _request("GET", f"{control}/pbxs")
        assert [(p["played"], p["state"]) for p in pbxs["pbxs"]] == [(True, "up")], pbxs
        await _request("POST", f"{control}/handsets/0611000005/state", {"state": "off"})
        status, _ = await _request(
            "POST", f"{control}/dial", {"from": "06 99 00 00 01", "to": "06 11 00 00 05"}
        )
        assert status == 201

        async def desk_ringing() -> bool:
            _, desk = await _request("GET", f"{control}/handsets/0145678915")
            return bool(desk["screen"]["ringing_from"] == "06 99 00 00 01")

        await eventually(desk_ringing, within=WITHIN, every=0.1, what="Monsieur D's desk")
        _, desk = await _request("GET", f"{control}/handsets/0145678915")
        assert desk["screen"]["forwarded_from"] == "06 11 00 00 05", desk
        await _request("POST", f"{control}/hang_up", {"number": "0699000001"})
        await eventually(idle, within=WITHIN, every=0.1, what="netsim idle")
        # a change made through FleetPBX's API reaches netsim at once (one change hub)
        await _renumber(f"http://127.0.0.1:{http}", "Monsieur D", "2015")

        async def renumbered() -> bool:
            _, handset = await _request("GET", f"{control}/handsets/0611000005")
            return bool(handset["short_number"] == "2015")

        await eventually(renumbered, within=WITHIN, every=0.1, what="netsim following")
        # the README's feature codes, from netsim's handsets over its SMSC
        forwarding = await _handset(control, "0611000003", "**21*0145678910#")
        assert forwarding == (0, "Renvoi immédiat activé vers 01 45 67 89 10.")
        menu = await _handset(control, "0611000003", "*700#", "0")
        assert menu[0] == 0 and menu[1].splitlines()[-1] == "Au revoir."
        refused = await _handset(control, "0611000002", "*55*0609182236*0000#")
        assert refused[0] == 3 and "code" in refused[1].lower(), refused
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), timeout=60)
    out = _tail(log, chars=1_000_000)
    assert code == 0, out[-4000:]
    assert f"console        http://127.0.0.1:{console}/" in out
    assert "gestionnaire" in out and "event_loop=uvloop" in out
    assert [r.session_case.value for r in records] == ["originating", "terminating"]
    assert all(r.answered_at is not None for r in records), records


async def _renumber(api: str, name: str, short_number: str) -> None:
    """The demo's manager gives ``name``'s line a new short number through the REST API."""
    login = {"login": demo.MANAGER_LOGIN, "password": demo.MANAGER_PASSWORD}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.post(f"{api}/api/login", json=login) as response:
            assert response.status == 200, await response.text()
            auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
        async with http.get(f"{api}/api/fleets", headers=auth) as response:
            (fleet,) = await response.json()
        lines = f"{api}/api/fleets/{fleet['id']}/lines"
        async with http.get(lines, params={"q": name}, headers=auth) as response:
            (line,) = (await response.json())["items"]
        async with http.get(f"{lines}/{line['id']}", headers=auth) as response:
            etag = response.headers["ETag"]
        async with http.patch(
            f"{lines}/{line['id']}",
            json={"short_number": short_number},
            headers=auth | {"If-Match": etag},
        ) as response:
            assert response.status == 200, await response.text()


async def _handset(control: str, *args: str) -> tuple[int, str]:
    """``fleetpbx handset`` against netsim (once FleetPBX's SMPP bind is up: retried while
    the SMSC says it is not bound)."""
    done: list[tuple[int, str]] = []

    async def dialled() -> bool:
        process = await asyncio.create_subprocess_exec(
            FLEETPBX, "handset", *args, "--url", control,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        if process.returncode == 1 and b"bound" in err:
            return False
        done.append((process.returncode or 0, out.decode().strip() or err.decode()))
        return True

    await eventually(dialled, within=WITHIN, every=0.2, what=f"fleetpbx handset {args}")
    return done[-1]


async def _records(services: Services, icid: str) -> list[CallRecord]:
    found: list[CallRecord] = []
    fleet_id = (await demo.ensure_demo(services)).fleet_id  # finds it, changes nothing

    async def written() -> bool:
        page = await services.calls.search(fleet_id=fleet_id, limit=200)
        found[:] = [r for r in page.items if r.correlation_id == icid]
        return len(found) >= 2

    await eventually(written, within=WITHIN, every=0.2, what=f"two records of {icid}")
    return sorted(found, key=lambda r: (r.offered_at, r.session_case.value))
