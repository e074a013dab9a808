"""Builds the call exchange: the engine, the call groups it hunts, who is in a call, and
the network adapter chosen by configuration: the simulated network, or SIP (the adapter of
``fleet.sipnet`` on a user agent the composition root made on its SIP stack).
Nothing else constructs ``Engine``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from callgroups.hunt import GroupHunter
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
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform
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


def build_exchange(
    *,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    log: EventLog = no_log,
    limits: Limits | None = None,
    new_id: Callable[[], str] | None = None,
    seed: int = 0,
    history: int = 50_000,
    voicemail: VoicemailPlatform = NO_VOICEMAIL,
) -> Exchange[SimulatedNetwork]:
    """The engine on the simulated network (the demo's, scenarios', tests'). ``seed`` drives
    random distribution, ``history`` how many timeline entries the network keeps,
    ``voicemail`` where forwarding to voicemail goes (issue 16 item 7). Call and
    leg ids come from ``new_id``, by default ids unique across restarts and processes
    (``CallIds``): a call record is stored under its call's id."""
    simulated = SimulatedNetwork(time=time, history=history)
    built = _engine(
        simulated, time, directory, recorder, policy, log, limits, new_id, seed, voicemail
    )
    simulated.attach(built.engine)
    return Exchange(engine=built.engine, groups=built.groups, network=simulated, time=time)


def build_sip_exchange(
    *,
    sip: SipSide,
    time: TimeSource,
    directory: Directory,
    recorder: Recorder,
    policy: NumberPolicy,
    log: EventLog = no_log,
    limits: Limits | None = None,
    new_id: Callable[[], str] | None = None,
    seed: int = 0,
    voicemail: VoicemailPlatform = NO_VOICEMAIL,
) -> Exchange[SipNetwork]:
    """The engine on SIP: the adapter of ``fleet.sipnet`` on the agent the composition root
    made on its stack (``sip``: the agent, the core's address, the media server, the
    trunks); the setup guard is timer B unless ``limits`` say otherwise. The rest as
    :func:`build_exchange`."""
    adapter = SipNetwork(
        sip.agent,
        sip.core,
        media_server=sip.media_server,
        log=log,
        trunks=sip.trunks,
        spawn=sip.spawn,
        whereabouts=sip.whereabouts,
        trusted=sip.trusted,
        trunk_options_interval=sip.trunk_options_interval,
    )
    limits = limits or Limits(setup_timeout=SIP_SETUP_TIMEOUT)
    built = _engine(
        adapter, time, directory, recorder, policy, log, limits, new_id, seed, voicemail
    )
    adapter.attach(built.engine)
    return Exchange(engine=built.engine, groups=built.groups, network=adapter, time=time)


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
    voicemail: VoicemailPlatform,
) -> _Built:
    presence = Presence()
    groups = GroupHunter(
        clock=time,
        timers=time,
        directory=directory,
        presence=presence,
        locations=adapter,
        seed=seed,
    )
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
        voicemail=voicemail,
    )
    return _Built(engine, groups)
