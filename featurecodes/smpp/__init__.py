"""USSD and SMS over SMPP 3.4 (aiosmpplib): the ESME adapter of ``featurecodes.ussd``."""

from featurecodes.smpp.failures import GatewayError, NotBound, SubmitRefused, SubmitTimeout
from featurecodes.smpp.gateway import GatewayStats, SmppSmsSender, UssdGateway
from featurecodes.smpp.timing import Backoff, Timing

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
