"""Builds the call exchange: the engine, the call groups it hunts, who is in a call, and
the network adapter chosen by configuration: the simulated network, or SIP (the adapter of
``fleet.sipnet`` on a user agent the composition root made on its SIP stack).
Nothing else constructs ``Engine``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, overload

from callgroups.hunt import GroupHunter
from fleet.config import NetworkKind
from fleet.core.calls.engine import Engine
from fleet.core.calls.ports import (
    Directory,
    EventLog,
    Limits,
    Network,
    Recorder,
    TimeSource,
    no_log,
)
from fleet.core.calls.presence import Presence
from fleet.core.numbering import NumberPolicy
from fleet.exchange.ids import CallIds
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.onstack import SipSide
from simulators.network import SimulatedNetwork

N = TypeVar("N", SimulatedNetwork, SipNetwork)

SIP_SETUP_TIMEOUT = 32.0  # a B-leg nothing is heard of: RFC 3261 timer B (64 * T1), not 10 s


@dataclass(frozen=True, kw_only=True)
class Exchange(Generic[N]):
    engine: Engine
    groups: GroupHunter
    network: N  # the network adapter
    time: TimeSource


@overload
def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    network: Literal[NetworkKind.SIMULATED] = ...,
    sip: None = None,
    log: EventLog = ...,
    limits: Limits | None = ...,
    new_id: Callable[[], str] | None = ...,
    seed: int = ...,
    history: int = ...,
) -> Exchange[SimulatedNetwork]: ...


@overload
def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    network: Literal[NetworkKind.SIP],
    sip: SipSide,
    log: EventLog = ...,
    limits: Limits | None = ...,
    new_id: Callable[[], str] | None = ...,
    seed: int = ...,
    history: int = ...,
) -> Exchange[SipNetwork]: ...


@overload
def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    network: NetworkKind,
    sip: SipSide | None = None,
    log: EventLog = ...,
    limits: Limits | None = ...,
    new_id: Callable[[], str] | None = ...,
    seed: int = ...,
    history: int = ...,
) -> Exchange[SimulatedNetwork] | Exchange[SipNetwork]: ...


def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    network: NetworkKind = NetworkKind.SIMULATED,
    sip: SipSide | None = None,
    log: EventLog = no_log,
    limits: Limits | None = None,
    new_id: Callable[[], str] | None = None,
    seed: int = 0,
    history: int = 50_000,
) -> Exchange[SimulatedNetwork] | Exchange[SipNetwork]:
    """The engine on the network adapter ``network`` (SIP needs ``sip``: the agent on the
    stack and the core's address; its setup guard is timer B unless ``limits`` say).
    ``seed`` drives random distribution, ``history`` how many timeline entries the simulated
    network keeps. Call and leg ids come from ``new_id``, by default ids unique across
    restarts and processes (``CallIds``): a call record is stored under its call's id."""
    if network is NetworkKind.SIMULATED:
        simulated = SimulatedNetwork(time=time, history=history)
        engine = _engine(simulated, time, directory, recorder, policy, log, limits, new_id, seed)
        simulated.attach(engine.engine)
        return Exchange(engine=engine.engine, groups=engine.groups, network=simulated, time=time)
    if network is NetworkKind.SIP:
        if sip is None:
            raise ValueError("a SIP network needs the SIP side (agent and core address)")
        adapter = SipNetwork(sip.agent, sip.core, log=log)
        limits = limits or Limits(setup_timeout=SIP_SETUP_TIMEOUT)
        engine = _engine(adapter, time, directory, recorder, policy, log, limits, new_id, seed)
        adapter.attach(engine.engine)
        return Exchange(engine=engine.engine, groups=engine.groups, network=adapter, time=time)
    raise ValueError(f"no network adapter {network!r}")  # pragma: no cover - enum exhausted


@dataclass(frozen=True)
class _Built:
    engine: Engine
    groups: GroupHunter


def _engine(
    adapter: Network,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    log: EventLog,
    limits: Limits | None,
    new_id: Callable[[], str] | None,
    seed: int,
) -> _Built:
    presence = Presence()
    groups = GroupHunter(clock=time, timers=time, directory=directory, presence=presence, seed=seed)
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
    return _Built(engine, groups)
