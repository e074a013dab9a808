"""The SIP side of the composition root (``fleet.app``): the stack as the settings ask for it,
its transport events in the structured log, and, on the SIP network (``network = sip``), the
network adapter's user agent on it (``fleet.sipnet``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog

from fleet.config import ConfigError, NetworkKind, Settings, SipAdmission
from fleet.sip.options import OptionsResponder
from fleet.sip.overload import Limits
from fleet.sip.overload_rate import RateConfig
from fleet.sip.overload_setup import SetupConfig
from fleet.sip.overload_throttle import ThrottleConfig
from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, EventKind, Peer, TransportConfig, TransportEvent
from fleet.sip.validate import UasPolicy
from fleet.sipnet.edge import SIPNET_POLICY, SipEdge, core_peer
from fleet.sipnet.onstack import SipSide, agent_on_stack
from fleet.sipnet.trunkbook import NoTrunks, TrunkBook
from fleet.sipnet.trusted import TrustedPeers
from fleet.sipnet.whereabouts import Whereabouts

log = structlog.get_logger("fleet.app")


def sip_policy(settings: Settings) -> UasPolicy:
    """What the stack serves: the default policy, or on the SIP network the adapter's
    (``SIPNET_POLICY``: REGISTER, REFER, NOTIFY, the DTMF bodies of INFO)."""
    return SIPNET_POLICY if settings.network is NetworkKind.SIP else UasPolicy()


def sip_transport_config(settings: Settings) -> TransportConfig:
    """Where the SIP stack listens (``sip_port`` set), what it serves (:func:`sip_policy`)."""
    assert settings.sip_port is not None
    return TransportConfig(
        host=settings.sip_host,
        port=settings.sip_port,
        tls_port=settings.sip_tls_port,
        tls_cert=Path(settings.sip_tls_cert) if settings.sip_tls_cert else None,
        tls_key=Path(settings.sip_tls_key) if settings.sip_tls_key else None,
        policy=sip_policy(settings),
        advertised_host=settings.sip_advertised_host or None,
        udp_receive_buffer=settings.sip_udp_receive_buffer or None,
    )


_SIP_EVENT_LEVELS = {
    EventKind.CALLBACK_ERROR: "warning",
    EventKind.UDP_ERROR: "warning",
    EventKind.FRAMING_ERROR: "info",
    EventKind.DROPPED: "info",
    EventKind.REJECTED: "info",
}


def log_sip_event(event: TransportEvent) -> None:
    """The SIP transport's typed events as structlog events (``fleet.sip`` knows no
    structlog): faults as warnings, refused or dropped messages as info, the rest debug."""
    level = _SIP_EVENT_LEVELS.get(event.kind, "debug")
    peer = event.peer
    getattr(log, level)(
        f"sip_transport_{event.kind.value}",
        peer=None if peer is None else f"{peer.transport.value}:{peer.host}:{peer.port}",
        detail=event.detail or None,
        status=event.status,
    )


def _timers(settings: Settings) -> TimerConfig:
    return TimerConfig(t1=settings.sip_t1, t2=settings.sip_t2, t4=settings.sip_t4)


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    """The control below the hard limits, as :class:`Limits` takes it (one at most)."""

    throttle: ThrottleConfig | None = None
    rate: RateConfig | None = None
    setup: SetupConfig | None = None


def admission(settings: Settings) -> AdmissionConfig:
    """The control below the hard limits ``sip_admission`` names (a share throttle, a rate
    admission or a setup window), with ``sip_target_lag_ms`` (0: its default), or
    ``sip_setup_target_ms`` (0: half of ``sip_t1``)."""
    target = settings.sip_target_lag_ms / 1000
    match settings.sip_admission:
        case SipAdmission.SETUP:
            target = settings.sip_setup_target_ms / 1000
            confirm = settings.sip_setup_confirm
            return AdmissionConfig(setup=SetupConfig.of_t1(settings.sip_t1, target, confirm))
        case SipAdmission.RATE:
            return AdmissionConfig(rate=RateConfig(target_lag=target) if target else RateConfig())
        case SipAdmission.LAG:
            throttle = ThrottleConfig(target_lag=target) if target else ThrottleConfig()
            return AdmissionConfig(throttle=throttle)
        case SipAdmission.LIMITS:
            return AdmissionConfig()


def build_sip_stack(settings: Settings) -> SipStack:
    """The stack on ``sip_port`` (UDP and TCP; TLS on ``sip_tls_port``), not started. On the
    SIP network its transaction user is the adapter's edge (``fleet.sipnet.edge``: OPTIONS
    answered there, calls to the adapter's user agent once :func:`sip_side` made it);
    otherwise it answers OPTIONS and refuses the rest (``fleet.sip.options``)."""
    edge: SipEdge | None = None
    if settings.network is NetworkKind.SIP:
        host = settings.sip_host
        edge = SipEdge(options=OptionsResponder(policy=sip_policy(settings), warn_agent=host))
    below = admission(settings)
    limits = Limits(
        max_transactions=settings.sip_max_transactions,
        max_lag=settings.sip_max_lag,
        retry_after=settings.sip_retry_after,
        throttle=below.throttle,
        rate=below.rate,
        setup=below.setup,
    )
    return SipStack(
        sip_transport_config(settings),
        tu=edge,
        timers=_timers(settings),
        events=log_sip_event,
        limits=limits,
    )


def trusted_peers(settings: Settings, core: Peer) -> TrustedPeers:
    """Who may send calls in as the core: ``sip_trusted_peers``, else the addresses the core's
    host resolves to (at start; a name that does not resolve stops the start, named)."""
    if settings.sip_trusted_peers:
        return TrustedPeers.of(settings.sip_trusted_peers)
    try:
        return TrustedPeers.of_host(core.host)
    except OSError as exc:
        raise ConfigError(
            f"sip_core: {core.host} does not resolve ({exc}); set sip_trusted_peers"
        ) from exc


def sip_side(settings: Settings, stack: SipStack, trunks: TrunkBook | None = None) -> SipSide:
    """The SIP network adapter's user agent on the started ``stack`` (built by
    :func:`build_sip_stack` for ``network = sip``), the core's address, the media server's
    (``sip_media_server``, same syntax; empty: none) and the trunks' book (none when not
    given)."""
    edge = stack.tu
    assert isinstance(edge, SipEdge), "the stack was not built for the SIP network"
    config = sip_transport_config(settings)
    address = Peer(UDP, config.advertised_host or config.host, stack.listening[0])
    agent = agent_on_stack(stack, edge, address, _timers(settings))
    media_server = core_peer(settings.sip_media_server) if settings.sip_media_server else None
    core = core_peer(settings.sip_core)
    return SipSide(
        agent=agent,
        core=core,
        trusted=trusted_peers(settings, core),
        media_server=media_server,
        trunks=trunks or NoTrunks(),
        whereabouts=Whereabouts(
            home_mcc=settings.sip_home_mcc, white_zone_cells=settings.sip_white_zone_cells
        ),
        trunk_options_interval=settings.sip_trunk_options_interval,
    )
