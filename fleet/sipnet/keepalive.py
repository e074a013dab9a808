"""The trunks' OPTIONS keepalive (DESIGN §8, trunk profile): every ``interval`` (30 s) an
OPTIONS goes to each trunk's PBX — a static trunk's host, port and transport, a
registration-mode trunk's registered contact — and what comes back is the trunk's state,
written through :meth:`fleet.sipnet.trunkbook.TrunkBook.set_state` when it changed:

- any final response means the PBX is there (in service): 200, but also 404, 405, 401/407, 483…
  — the PBX answered, so calls reach it and it will answer them;
- a 503 means out of service: RFC 3261 §21.5.4 has it say the server cannot take requests now,
  RFC 3263 §4.3 has a client treat it as it treats no answer (try elsewhere), and a call sent
  there would get the same 503 (not reachable, :mod:`fleet.sipnet.causes`);
- no answer (timer F: 64·T1 = 32 s, the transaction's retransmissions already absorbing a lost
  datagram or a slow PBX) or a transport error is out of service;
- a registration-mode trunk with no contact is out of service without a probe.

No further hysteresis: timer F is one, and one more round would leave calls going to a dead
PBX for another 30 s; one answer brings the trunk back. The trunks are read again each round
(added ones are probed, removed ones forgotten); a trunk whose probe is still out (timer F is
longer than the interval) is not probed again until it ends."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fleet.core.calls.ports import EventLog, no_log
from fleet.core.trunks import Trunk, TrunkState
from fleet.sip.message import Response
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transport_types import Peer
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.trunk_state import TrunkStates
from fleet.sipnet.trunkbook import TrunkBook

INTERVAL = 30.0
DOWN = 503  # "cannot take requests now" (RFC 3263 §4.3: as no answer)

Destination = Callable[[Trunk], tuple[str, Peer] | None]


def state_of(response: Response | None) -> TrunkState:
    """What an OPTIONS' outcome says of the trunk."""
    if response is None or response.status == DOWN:
        return TrunkState.OUT_OF_SERVICE
    return TrunkState.IN_SERVICE


class TrunkKeepalive:
    def __init__(
        self,
        *,
        agent: FleetAgent,
        book: TrunkBook,
        destination: Destination,
        states: TrunkStates,
        scheduler: Scheduler,
        interval: float = INTERVAL,
        log: EventLog = no_log,
    ) -> None:
        self.agent = agent
        self.book = book
        self.destination = destination
        self.states = states
        self._scheduler = scheduler
        self.interval = interval
        self.log = log
        self._timer: TimerHandle | None = None
        self._out: set[int] = set()  # trunks whose probe has not ended
        self.rounds = 0

    def start(self) -> None:
        """The first round now, then one every ``interval``."""
        if self._timer is None:
            self._round()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _round(self) -> None:
        self._timer = self._scheduler.call_later(self.interval, self._round)
        self.rounds += 1
        trunks = list(self.book.trunks())
        self._out &= {trunk.id for trunk in trunks}
        for trunk in trunks:
            if trunk.id in self._out:
                continue
            found = self.destination(trunk)
            if found is None:
                self.states.record(trunk, TrunkState.OUT_OF_SERVICE)
                continue
            uri, peer = found
            self._out.add(trunk.id)
            self.agent.probe(uri, peer, partial(self._heard, trunk))

    def _heard(self, trunk: Trunk, response: Response | None) -> None:
        self._out.discard(trunk.id)
        current = self.states.current(trunk)
        if current is None:
            return  # removed while the probe was out
        self.states.record(current, state_of(response))
