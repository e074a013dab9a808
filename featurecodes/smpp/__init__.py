"""USSD and SMS over SMPP 3.4 (aiosmpplib): the ESME adapter of ``featurecodes.ussd``."""

from featurecodes.smpp.gateway import (
    Backoff,
    GatewayError,
    GatewayStats,
    NotBound,
    SmppSmsSender,
    SubmitRefused,
    SubmitTimeout,
    Timing,
    UssdGateway,
)

__all__ = [
    "Backoff",
    "GatewayError",
    "GatewayStats",
    "NotBound",
    "SmppSmsSender",
    "SubmitRefused",
    "SubmitTimeout",
    "Timing",
    "UssdGateway",
]
