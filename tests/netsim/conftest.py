"""One FleetPBX (``serve --network sip``) and one netsim for the whole package, on a SQLite
fleet seeded by ``tests.netsim.seeded``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.netsim.processes import Pair, fleetpbx_and_netsim
from tests.netsim.seeded import seed


@pytest.fixture(scope="package")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with fleetpbx_and_netsim(tmp_path_factory.mktemp("netsim"), seed) as started:
        yield started


@pytest.fixture(autouse=True)
async def _calls_ended(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After each test that uses the processes: nothing left in a call (a failed test's call
    does not spill into the next test)."""
    yield
    if "pair" in request.fixturenames:
        started: Pair = request.getfixturevalue("pair")
        await started.hang_up_everything()
        await started.idle()
