"""Two pairs of processes (``serve --network sip`` and ``netsim``) for the whole package, each
started once: ``pair`` on the SQLite fleet seeded by ``tests.netsim.seeded``, ``demo_pair`` on
the demo fleet of ``tests.netsim.demo_seeded`` (seed 004's examples and the web console)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.netsim.demo_seeded import seed_demo
from tests.netsim.processes import Pair, fleetpbx_and_netsim
from tests.netsim.seeded import seed

Handsets = dict[str, dict[str, Any]]  # number: its state and behaviour


@pytest.fixture(scope="package")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with fleetpbx_and_netsim(tmp_path_factory.mktemp("netsim"), seed) as started:
        yield started


@pytest.fixture(scope="package")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with fleetpbx_and_netsim(tmp_path_factory.mktemp("demo"), seed_demo) as started:
        yield started


def _handsets(pair: Pair) -> Handsets:
    with urllib.request.urlopen(f"{pair.control}/handsets", timeout=30) as response:
        shown = json.loads(response.read())["handsets"]
    return {h["number"]: {"state": h["state"], "behaviour": h["behaviour"]} for h in shown}


@pytest.fixture(scope="package")
def demo_as_started(demo_pair: Pair) -> Handsets:
    """The demo's handsets as netsim started them (what each test leaves them as again)."""
    return _handsets(demo_pair)


async def _restore(pair: Pair, initial: Handsets) -> None:
    shown = (await pair.get("/handsets"))["handsets"]
    for now in shown:
        was = initial.get(now["number"])
        if was is None:
            continue  # a handset the test added (an outside one)
        if now["state"] != was["state"]:
            await pair.post(f"/handsets/{now['number']}/state", {"state": was["state"]})
        if now["behaviour"] != was["behaviour"]:
            await pair.post(f"/handsets/{now['number']}/behaviour", was["behaviour"])


@pytest.fixture(autouse=True)
async def _calls_ended(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After each test that uses the processes: nothing left in a call (a failed test's call
    does not spill into the next test); on the demo pair, every handset the test switched off
    or made answer otherwise back as it was at the start (the two modules share it)."""
    uses = [name for name in ("pair", "demo_pair") if name in request.fixturenames]
    initial = request.getfixturevalue("demo_as_started") if "demo_pair" in uses else {}
    yield
    for name in uses:
        started: Pair = request.getfixturevalue(name)
        await started.hang_up_everything()
        await started.idle()
        if name == "demo_pair":
            await _restore(started, initial)
