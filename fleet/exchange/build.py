"""Builds the call exchange: the engine, the call groups it hunts, who is in a call, and
the network adapter chosen by configuration (today the simulated network; SIP next).
Nothing else constructs ``Engine``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callgroups.hunt import GroupHunter
from fleet.config import NetworkKind
from fleet.core.calls.engine import Engine
from fleet.core.calls.ports import Directory, EventLog, Limits, Recorder, TimeSource, no_log
from fleet.core.calls.presence import Presence
from fleet.core.numbering import NumberPolicy
from fleet.exchange.ids import CallIds
from simulators.network import SimulatedNetwork


@dataclass(frozen=True, kw_only=True)
class Exchange:
    engine: Engine
    groups: GroupHunter
    network: SimulatedNetwork  # the network adapter (the SIP adapter joins it: issue 12)
    time: TimeSource


def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    network: NetworkKind = NetworkKind.SIMULATED,
    log: EventLog = no_log,
    limits: Limits | None = None,
    new_id: Callable[[], str] | None = None,
    seed: int = 0,
    history: int = 50_000,
) -> Exchange:
    """The engine on the network adapter ``network``; ``seed`` drives random distribution,
    ``history`` how many timeline entries the simulated network keeps. Call and leg ids
    come from ``new_id``, by default ids unique across restarts and processes
    (``CallIds``): a call record is stored under its call's id."""
    presence = Presence()
    groups = GroupHunter(clock=time, timers=time, directory=directory, presence=presence, seed=seed)
    adapter = _network(network, time=time, history=history)
    engine = Engine(
        network=adapter,
        timers=time,
        clock=time,
        directory=directory,
        recorder=recorder,
        policy=policy,
        groups=groups,
        presence=presence,
        limits=limits,
        new_id=new_id or CallIds(),
        log=log,
    )
    adapter.attach(engine)
    return Exchange(engine=engine, groups=groups, network=adapter, time=time)


def _network(kind: NetworkKind, *, time: TimeSource, history: int) -> SimulatedNetwork:
    if kind is NetworkKind.SIMULATED:
        return SimulatedNetwork(time=time, history=history)
    raise ValueError(f"no network adapter {kind!r}")  # pragma: no cover - enum exhausted
