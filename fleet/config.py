"""Configuration, read once into a frozen object: defaults < TOML file < environment
(``FLEETPBX_*``) < command line. Every value remembers where it came from."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from featurecodes.catalogue import Catalogue
from fleet import config_values as parse
from fleet.core.errors import DomainError
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Language
from fleet.core.voicemail import VoicemailPlatform

ENV_PREFIX = "FLEETPBX_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///fleetpbx.db"


WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})


class ConfigError(Exception):
    """A configuration value is missing, unknown or malformed."""


class NetworkKind(StrEnum):
    """The network adapter the call engine runs on."""

    SIMULATED = "simulated"  # the in-process simulated mobile network
    SIP = "sip"  # FleetPBX on SIP (fleet.sipnet): calls from and to the core at sip_core


class SipAdmission(StrEnum):
    """How overload control admits new INVITEs below its hard limits (fleet.sip.overload)."""

    SETUP = "setup"  # while the calls in setup are fewer than complete within T1 (overload_setup)
    RATE = "rate"  # at the rate the loop carries, from its CPU per call (overload_rate)
    LAG = "lag"  # a share steered by the loop's lag (overload_throttle)
    LIMITS = "limits"  # all, until a hard limit; then none


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 20  # PostgreSQL connections kept open (as many again at peaks)
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "info"
    log_format: str = "console"
    numbering_region: str = "FR"
    numbering_national_length: int = 10
    numbering_allowed_prefixes: tuple[str, ...] = ("01", "02", "03", "04", "05", "06")
    numbering_special_prefixes: tuple[str, ...] = ("08",)
    cookie_secure: bool = False
    session_key: str = ""  # 32 bytes, url-safe base64; random per process when empty
    # the reverse proxies whose X-Forwarded-For names the client (addresses or networks);
    # none: the client is the peer of the connection
    trusted_proxies: tuple[str, ...] = ()
    # who may read GET /metrics (addresses or networks; the connection's peer): loopback
    metrics_allowed: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    login_workers: int = 1  # threads hashing and verifying passwords (argon2)
    login_queue: int = 8  # sign-ins waiting for one of them; past that: 503, Retry-After
    network: NetworkKind = NetworkKind.SIMULATED  # the call engine's network adapter
    simulator: bool = False  # the demo's tools: /sim control of the network, SMSC simulator
    smpp_host: str = "127.0.0.1"  # the USSD gateway / SMSC the service binds to
    smpp_port: int = 0  # 0: no SMPP bind
    smpp_system_id: str = "fleetpbx"
    smpp_password: str = ""
    smpp_system_type: str = ""
    featurecodes_group_member: str = "55"  # PABX service codes (none may be of TS 22.030 Annex B)
    featurecodes_group_admin: str = "56"
    featurecodes_incoming_list: str = "57"
    featurecodes_menu: str = "*700#"
    records_journal_dir: str = ""  # call-record journal; empty: beside the SQLite file, or ./
    records_backlog_degraded: int = 1000  # /healthz says "degraded" past this many records
    # SIP (fleet/sip): off unless sip_port is set; 0 picks a free port (UDP and TCP), logged
    sip_host: str = "127.0.0.1"
    # the host written in Via and Contact (the address peers reach); empty: sip_host, which
    # must then not be a wildcard (0.0.0.0, ::)
    sip_advertised_host: str = ""
    sip_port: int | None = None
    sip_tls_port: int | None = None  # needs sip_port, sip_tls_cert and sip_tls_key; 0: free
    sip_tls_cert: str = ""  # PEM certificate chain of the TLS listener
    sip_tls_key: str = ""  # PEM private key of the TLS listener
    sip_t1: float = 0.5  # RFC 3261 timers, seconds: round-trip estimate
    sip_t2: float = 4.0  # longest retransmission interval
    sip_t4: float = 5.0  # longest time a message stays in the network
    sip_max_transactions: int = 2000  # overload: server transactions not yet answered, then 503
    sip_max_lag: float = 0.5  # overload: event-loop lag in seconds, then 503
    sip_retry_after: int = 5  # overload: Retry-After of the 503, seconds
    # overload below the limits: new INVITEs admitted at the rate the loop carries (rate), a
    # share of them steered by the lag (lag), while the calls in setup are few enough to be
    # answered within sip_setup_target_ms (setup), or all until a hard limit (limits)
    sip_admission: SipAdmission = SipAdmission.SETUP
    # the smoothed lag, ms, above which the loop is behind (rate: 100, lag: 50 when 0)
    sip_target_lag_ms: int = 0
    # setup: the time a new call may spend in setup, ms, that bounds the calls in setup (0: T1/2)
    sip_setup_target_ms: int = 0
    # setup: 100 ms samples in a row the window is found full before it refuses (1: at once)
    sip_setup_confirm: int = 1
    # the collector's first-generation threshold once started (fleet.heap.settle); 0: Python's
    gc_threshold: int = 0
    sip_udp_receive_buffer: int = 4 * 1024 * 1024  # UDP socket receive buffer, bytes; 0: default
    # network sip: where B-legs go (the S-CSCF / the core's entry), host:port[;transport=tcp]
    sip_core: str = ""
    # the media server (MRF): announcements (RFC 4240 annc), queue music, conferences;
    # host[:port][;transport=...]; empty: none (announcements are then skipped)
    sip_media_server: str = ""
    # where a handset is, from P-Access-Network-Info (fleet.sipnet.whereabouts): the home
    # mobile country code (another one: abroad) and the white zone's cell-id prefixes (hex)
    sip_home_mcc: str = "208"
    sip_white_zone_cells: tuple[str, ...] = ()
    # addresses or networks the core's INVITEs may come from (the S-CSCFs); empty: the
    # addresses sip_core resolves to. Other sources are refused 403, the trunks' PBXs aside
    sip_trusted_peers: tuple[str, ...] = ()
    # key encrypting the SIP trunks' Digest secrets at rest (32 bytes, url-safe base64)
    sip_trunk_secret_key: str = ""
    # seconds between two OPTIONS to each trunk's PBX (the keepalive taking dead trunks out)
    sip_trunk_options_interval: float = 30.0
    # PostgreSQL + network sip: seconds between two rounds of fleet ownership (issue 15)
    owner_interval: float = 2.0
    # the operator's voicemail platform (issue 16 item 7): its number, a destination the
    # numbering accepts; reached like any off-net number (over SIP: through sip_core, the
    # mailbox named by the diversion history). Empty: voicemail is offered nowhere
    voicemail_number: str = ""
    # the barring password of a line whose user never set one (TS 22.030 **03*330#): 4 digits
    barring_default_password: str = "0000"
    config_file: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def number_policy(self) -> NumberPolicy:
        return NumberPolicy(
            region=self.numbering_region,
            national_length=self.numbering_national_length,
            allowed_prefixes=self.numbering_allowed_prefixes,
            special_prefixes=self.numbering_special_prefixes,
        )

    def voicemail(self) -> VoicemailPlatform:
        """The voicemail platform of this deployment (no number: voicemail not offered)."""
        if not self.voicemail_number:
            return VoicemailPlatform()
        return VoicemailPlatform(
            self.number_policy().destination(self.voicemail_number, field="voicemail_number")
        )

    def catalogue(self) -> Catalogue:
        return Catalogue(
            group_member=self.featurecodes_group_member,
            group_admin=self.featurecodes_group_admin,
            incoming_list=self.featurecodes_incoming_list,
            menu=self.featurecodes_menu,
        )

    def redacted(self) -> dict[str, Any]:
        """The settings for display: secrets in URLs masked."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name == "database_url":
                value = _mask_password(value)
            if f.name in ("smpp_password", "session_key", "sip_trunk_secret_key") and value:
                value = "***"
            out[f.name] = value
        return out


def _mask_password(url: str) -> str:
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


PARSERS: dict[str, Callable[[Any], Any]] = {
    "database_url": parse.as_url,
    "database_pool_size": parse.as_pool_size,
    "host": parse.as_text,
    "port": parse.as_port,
    "log_level": parse.as_choice("debug", "info", "warning", "error"),
    "log_format": parse.as_choice("console", "json"),
    "numbering_region": lambda v: parse.as_text(v).upper(),
    "numbering_national_length": parse.as_int,
    "numbering_allowed_prefixes": parse.as_prefixes,
    "numbering_special_prefixes": parse.as_prefixes,
    "cookie_secure": parse.as_bool,
    "session_key": lambda v: str(v),
    "trusted_proxies": parse.as_networks,
    "metrics_allowed": parse.as_networks,
    "login_workers": parse.as_count(1, 64),
    "login_queue": parse.as_count(0, 10_000),
    "network": lambda v: NetworkKind(parse.as_choice(*(k.value for k in NetworkKind))(v)),
    "simulator": parse.as_bool,
    "smpp_host": parse.as_text,
    "smpp_port": parse.as_port,
    "smpp_system_id": parse.as_text,
    "smpp_password": lambda v: str(v),
    "smpp_system_type": lambda v: str(v),
    "featurecodes_group_member": parse.as_text,
    "featurecodes_group_admin": parse.as_text,
    "featurecodes_incoming_list": parse.as_text,
    "featurecodes_menu": parse.as_text,
    "barring_default_password": parse.as_text,
    "records_journal_dir": lambda v: str(v).strip(),
    "records_backlog_degraded": parse.as_count(1, 100_000_000),
    "sip_host": parse.as_text,
    "sip_advertised_host": parse.as_text,
    "sip_port": parse.as_port,
    "sip_tls_port": parse.as_port,
    "sip_tls_cert": parse.as_path,
    "sip_tls_key": parse.as_path,
    "sip_t1": parse.as_seconds,
    "sip_t2": parse.as_seconds,
    "sip_t4": parse.as_seconds,
    "sip_max_transactions": parse.as_count(1, 1_000_000),
    "sip_max_lag": parse.as_seconds,
    "sip_retry_after": parse.as_count(0, 3600),
    "sip_admission": lambda v: SipAdmission(parse.as_choice(*(k.value for k in SipAdmission))(v)),
    "sip_target_lag_ms": parse.as_count(0, 10_000),
    "sip_setup_target_ms": parse.as_count(0, 60_000),
    "sip_setup_confirm": parse.as_count(1, 100),
    "gc_threshold": parse.as_count(0, 1_000_000),
    "sip_udp_receive_buffer": parse.as_count(0, 1 << 30),
    "sip_core": parse.as_sip_core,
    "sip_media_server": parse.as_sip_core,
    "sip_home_mcc": parse.as_mcc,
    "sip_white_zone_cells": parse.as_cells,
    "sip_trusted_peers": parse.as_networks,
    "sip_trunk_secret_key": parse.as_fernet_key,
    "sip_trunk_options_interval": parse.as_seconds,
    "owner_interval": parse.as_seconds,
    "voicemail_number": lambda v: str(v).strip(),
}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}_"))
        else:
            out[name] = value
    return out


def load_settings(
    *,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Merge the layers. ``cli`` holds only options actually given (None means not given)."""
    environ = dict(os.environ if env is None else env)
    given = {k: v for k, v in (cli or {}).items() if v is not None}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {name: "default" for name in PARSERS}

    path = config_file or given.pop("config_file", None) or environ.get(f"{ENV_PREFIX}CONFIG")
    if path:
        file_values = _read_file(Path(path))
        for name, raw in file_values.items():
            values[name] = _parse(name, raw, f"file {path}")
            sources[name] = f"file {path}"

    for name in PARSERS:
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in environ:
            values[name] = _parse(name, environ[env_name], f"environment {env_name}")
            sources[name] = f"environment {env_name}"

    for name, raw in given.items():
        if name not in PARSERS:
            raise ConfigError(f"unknown option {name}")
        values[name] = _parse(name, raw, f"option --{name.replace('_', '-')}")
        sources[name] = "command line"

    settings = Settings(**values, config_file=str(path) if path else None, sources=sources)
    _check(settings)
    return settings


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
    flat = _flatten(data)
    unknown = sorted(set(flat) - set(PARSERS))
    if unknown:
        raise ConfigError(f"unknown setting(s) in {path}: {', '.join(unknown)}")
    return flat


def _parse(name: str, raw: Any, where: str) -> Any:
    try:
        return PARSERS[name](raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} from {where}: {exc} (got {raw!r})") from exc


def _check(settings: Settings) -> None:
    import phonenumbers

    if phonenumbers.country_code_for_region(settings.numbering_region) == 0:
        raise ConfigError(f"numbering_region: unknown region {settings.numbering_region!r}")
    if not settings.numbering_allowed_prefixes:
        raise ConfigError("numbering_allowed_prefixes: at least one prefix is needed")
    from featurecodes.catalogue import CatalogueError

    try:
        settings.catalogue()
    except CatalogueError as exc:
        raise ConfigError(f"featurecodes: {exc}") from exc
    _check_sip(settings)
    pw = settings.barring_default_password
    if not (pw.isascii() and pw.isdigit() and len(pw) == 4):
        raise ConfigError("barring_default_password: 4 digits")
    try:
        settings.voicemail()
    except DomainError as exc:
        raise ConfigError(f"voicemail_number: {exc.message(Language.EN)}") from exc
    if settings.session_key:
        import base64
        import binascii

        try:
            key = base64.urlsafe_b64decode(settings.session_key.encode())
        except (binascii.Error, ValueError) as exc:
            raise ConfigError("session_key: url-safe base64 of 32 bytes") from exc
        if len(key) != 32:
            raise ConfigError("session_key: url-safe base64 of 32 bytes")


def _check_sip(settings: Settings) -> None:
    if settings.sip_t1 > settings.sip_t2:
        raise ConfigError("sip_t1 must not exceed sip_t2")
    if settings.network is NetworkKind.SIP:
        if settings.sip_port is None:
            raise ConfigError("network sip: set sip_port too")
        if not settings.sip_core:
            raise ConfigError("network sip: set sip_core (host:port of the core)")
        if not settings.sip_advertised_host and settings.sip_host in WILDCARD_HOSTS:
            raise ConfigError(
                f"network sip: sip_host {settings.sip_host} listens on every address; set "
                "sip_advertised_host to the one peers reach (written in Via and Contact)"
            )
        if settings.simulator:
            raise ConfigError("network sip: the simulator runs on the simulated network only")
    if settings.sip_tls_port is None:
        return
    if settings.sip_port is None:
        raise ConfigError("sip_tls_port: SIP is off; set sip_port too")
    if not settings.sip_tls_cert or not settings.sip_tls_key:
        raise ConfigError("sip_tls_port needs sip_tls_cert and sip_tls_key (PEM files)")
    if settings.sip_tls_port and settings.sip_tls_port == settings.sip_port:
        raise ConfigError("sip_tls_port: TLS needs a port of its own (TCP has sip_port)")
