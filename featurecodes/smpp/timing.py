"""How long the gateway waits for what, and how it backs off between connection attempts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between connection attempts: ``initial * factor**(n-1)``, capped at ``maximum``.

    A bind that stayed up ``reset_after`` seconds starts the sequence again. A link closed
    because the stream could not be followed (a partial PDU, an impossible length) is
    rebound at once: the SMSC is there, only the stream was lost.
    """

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    reset_after: float = 30.0

    def delay(self, failures: int) -> float:
        exponent = max(failures - 1, 0)
        return float(min(self.maximum, self.initial * self.factor**exponent))


@dataclass(frozen=True, slots=True)
class Timing:
    connect_timeout: float = 10.0
    response_timeout: float = 10.0  # for any response, and for room in the window
    enquire_link_interval: float = 30.0
    handler_timeout: float = 20.0  # the USSD handler's time for one answer
    # a PDU whose first octet has arrived must be complete within this time; else the
    # stream is lost (a header promising more than comes): the link is closed and rebound
    pdu_timeout: float = 5.0
