"""Transaction timers (RFC 3261 §17 and Table 4, RFC 6026 §8.4 and §8.7): T1, T2 and T4 are the
configuration, every other timer is derived from them.

Over a reliable transport (TCP, TLS) nothing is retransmitted, so A, E and G are never started and
the "wait for retransmissions" timers D, I, J and K are zero."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """T1 (RTT estimate), T2 (longest retransmit interval of non-INVITE requests and INVITE
    responses), T4 (longest time a message stays in the network), in seconds; ``trying_delay`` is
    how long an INVITE server transaction waits for the TU before it answers 100 Trying itself
    (RFC 3261 §17.2.1: 200 ms)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    trying_delay: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2:
            raise ValueError("timers need 0 < T1 <= T2")
        if self.t4 <= 0 or self.trying_delay < 0:
            raise ValueError("T4 must be positive and the 100 Trying delay not negative")

    @property
    def a(self) -> float:
        """First INVITE retransmission interval; it doubles after each retransmission."""
        return self.t1

    @property
    def b(self) -> float:
        """INVITE transaction timeout."""
        return 64 * self.t1

    def d(self, reliable: bool) -> float:
        """Wait for response retransmissions after a non-2xx final (>= 32 s when unreliable)."""
        return 0.0 if reliable else max(32.0, 64 * self.t1)

    @property
    def e(self) -> float:
        """First non-INVITE request retransmission interval; doubles, capped at T2."""
        return self.t1

    @property
    def f(self) -> float:
        """Non-INVITE transaction timeout."""
        return 64 * self.t1

    @property
    def g(self) -> float:
        """First INVITE final-response retransmission interval; doubles, capped at T2."""
        return self.t1

    @property
    def h(self) -> float:
        """Wait for the ACK of a non-2xx final response."""
        return 64 * self.t1

    def i(self, reliable: bool) -> float:
        """Absorb ACK retransmissions in Confirmed."""
        return 0.0 if reliable else self.t4

    def j(self, reliable: bool) -> float:
        """Absorb non-INVITE request retransmissions in Completed."""
        return 0.0 if reliable else 64 * self.t1

    def k(self, reliable: bool) -> float:
        """Absorb non-INVITE response retransmissions in Completed."""
        return 0.0 if reliable else self.t4

    @property
    def l(self) -> float:  # noqa: E743 - the RFC's name
        """RFC 6026: the INVITE server transaction absorbs INVITE retransmissions in Accepted."""
        return 64 * self.t1

    @property
    def m(self) -> float:
        """RFC 6026: INVITE client transaction stays in Accepted to pass 2xx retransmissions up."""
        return 64 * self.t1

    def doubled(self, interval: float) -> float:
        """The next E or G interval: twice the last one, never above T2."""
        return min(2 * interval, self.t2)
