"""The simulated network as the demo runs it in real time: every line and fixed number of
the fleets has a handset (answering after 5 s), driven over HTTP (``simulators.http``).
The engine, its network and its record sink are built by the composition root
(``fleet.exchange``); this keeps the handsets in step with the fleets and shows the latest
call records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fleet.core.calls.engine import Engine
from fleet.core.model import CallRecord
from fleet.services.directory import CachedDirectory
from simulators.handsets import Behaviour
from simulators.network import SimulatedNetwork

ANSWER_AFTER = 5.0  # seconds a demo handset rings before it answers


class LatestRecords(Protocol):
    @property
    def latest(self) -> Sequence[CallRecord]:
        """The latest call records, oldest first."""
        ...


@dataclass
class LiveSimulator:
    network: SimulatedNetwork
    engine: Engine
    directory: CachedDirectory
    records: LatestRecords

    def sync_handsets(self) -> None:
        """Every line and fixed number of every fleet has a handset (answers after 5 s)."""
        network = self.network
        for line in self.directory.all_lines():
            if line.line.msisdn.value not in network.handsets:
                network.add(
                    line.line.msisdn,
                    line.line.employee_name,
                    behaviour=Behaviour(answer_after=ANSWER_AFTER),
                )
        for fixed in self.directory.all_fixed():
            if fixed.number.value not in network.handsets:
                network.add(
                    fixed.number,
                    fixed.label,
                    fixed=True,
                    behaviour=Behaviour(answer_after=ANSWER_AFTER),
                )
