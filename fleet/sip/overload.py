"""Overload control of the SIP stack: past a bound on server transactions in progress, on all
live server transactions, on the event loop's lag or on the UDP receive backlog, a new INVITE is
refused **503 Service Unavailable** with ``Retry-After`` (RFC 3261 §21.5.4) while the work
already accepted completes.

- :class:`OverloadGuard` decides, from the server transactions **in progress** (not yet answered
  with a final response, the new INVITE's own included: :class:`fleet.sip.overload_user.
  GuardedUser` keeps them), all live server transactions (the transaction layer's
  ``server_transactions``: a memory bound, much higher, since every completed call keeps its
  INVITE and BYE transactions 32 s for their timers), the latest lag measured
  (:class:`fleet.sip.loadwatch.LagMonitor`) and, when watched, the kernel's receive queue of the
  UDP socket (:class:`fleet.sip.loadwatch.UdpBacklog`: its fill, and datagrams dropped since the
  previous sample). It starts shedding when one goes *above* its limit (any drop counts) and
  admits again only once all are back *at or below* ``resume_ratio`` of their limits, with no
  drop in the last sample, so it does not flap.
- Only a new call is judged: an INVITE without To tag. ACK, CANCEL, BYE, OPTIONS, any other
  method and every in-dialog request (To tag present, re-INVITE included) are admitted: they
  finish or probe work already accepted, and OPTIONS keep telling a peer this node is alive.
- Two places refuse. **While shedding**, the stack asks :meth:`OverloadGuard.judge_shedding`
  for each new INVITE that matches no server transaction, before the transaction layer sees it,
  and refuses it **statelessly** (:mod:`fleet.sip.overload_stateless`, RFC 3261 §8.2.7): no
  transaction, no timer, no retransmission; its ACK is absorbed on its To tag. This is what a
  503 must cost under a flood: a fraction of an accepted call. A retransmission of a shed INVITE
  is judged again, which is harmless: the caller's transaction is Completed once it has the
  503, and if the 503 was lost, admitting the retransmission later is what the caller wants.
  Otherwise :class:`fleet.sip.overload_user.GuardedUser` judges where new requests reach the TU
  and refuses through the INVITE server transaction (see there).

Shed transactions do **not** count as live: the guard subtracts those still alive
(:meth:`OverloadGuard.discount`). ``shed`` counts every INVITE refused, ``stateless`` those
refused without a transaction.

The lag read is the :class:`fleet.sip.loadwatch.LagMonitor`'s smoothed one: one slow tick does
not start shedding, a loop late wake-up after wake-up does. The UDP backlog is the transport's
``udp_backlog``; :class:`fleet.sip.stack.SipStack` has the monitor sample it and the guard
watch it (:meth:`OverloadGuard.watch_backlog`) when it starts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from fleet.sip.message import Request
from fleet.sip.overload_rate import RateConfig
from fleet.sip.overload_setup import SetupConfig
from fleet.sip.overload_throttle import ThrottleConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_transactions`` server transactions in progress (not answered yet, the new
    INVITE's included), ``max_live_transactions`` live ones (answered ones waiting for their
    timers included), ``max_lag`` seconds of event-loop lag and ``max_backlog`` of the UDP
    receive buffer in use before new INVITEs are shed; ``retry_after`` whole seconds in the 503;
    ``resume_ratio`` of the limits to fall to before admitting again."""

    max_transactions: int = 2000
    max_lag: float = 0.5
    retry_after: int = 5
    resume_ratio: float = 0.8
    max_live_transactions: int = 500_000
    # half the UDP buffer: with 4 MiB asked (8 MiB granted) ~1,800 datagrams, a few tenths of a
    # second of traffic at the knee — a real backlog; 0.1 shed on a GC pause at half load
    max_backlog: float = 0.5
    # below the limits, a share of new INVITEs admitted by the load (None: all or nothing)
    throttle: ThrottleConfig | None = None
    # or new INVITEs admitted at the rate the loop carries (fleet.sip.overload_rate)
    rate: RateConfig | None = None
    # or while the calls in setup are fewer than complete within T1 (fleet.sip.overload_setup)
    setup: SetupConfig | None = None

    def __post_init__(self) -> None:
        if self.max_transactions < 1:
            raise ValueError("max_transactions must be at least 1")
        if self.max_live_transactions < 1:
            raise ValueError("max_live_transactions must be at least 1")
        if not 0 < self.max_backlog <= 1:
            raise ValueError("max_backlog must be more than 0 and at most 1")
        if not self.max_lag > 0:
            raise ValueError("max_lag must be more than 0 seconds")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if not 0 <= self.resume_ratio < 1:
            raise ValueError("resume_ratio must be at least 0 and less than 1")
        if sum(x is not None for x in (self.throttle, self.rate, self.setup)) > 1:
            raise ValueError("one admission at most: a share throttle, a rate or a setup window")

    @property
    def resume_transactions(self) -> int:
        return int(self.max_transactions * self.resume_ratio)

    @property
    def resume_lag(self) -> float:
        return self.max_lag * self.resume_ratio

    @property
    def resume_live(self) -> int:
        return int(self.max_live_transactions * self.resume_ratio)

    @property
    def resume_backlog(self) -> float:
        return self.max_backlog * self.resume_ratio


class Cause(Enum):
    TRANSACTIONS = "transactions in progress"
    LIVE = "live transactions"
    LAG = "event-loop lag"
    BACKLOG = "UDP receive backlog"
    THROTTLE = "load above its target (a share admitted; or the calls in setup at their window)"


class Admission(Protocol):
    """What the guard asks of the control below its limits (a
    :class:`fleet.sip.overload_throttle.Throttle`, a
    :class:`fleet.sip.overload_rate.RateAdmission` or a
    :class:`fleet.sip.overload_setup.SetupWindow`); the stack has ``sample`` run on the load
    monitor's tick and ``read_backlog`` read the UDP queue."""

    @property
    def active(self) -> bool: ...  # new INVITEs judged against it now

    @property
    def refusing(self) -> bool: ...  # some new INVITEs refused now

    def take(self) -> bool: ...

    def sample(self) -> None: ...

    def read_backlog(self, backlog: Callable[[], float | None]) -> None: ...


class Backlog(Protocol):
    """What the guard reads of a :class:`fleet.sip.loadwatch.UdpBacklog`."""

    @property
    def fill(self) -> float | None: ...

    @property
    def dropped(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Admit:
    """Hand the request to the TU."""


@dataclass(frozen=True, slots=True)
class Shed:
    """Refuse it 503 with ``Retry-After: retry_after``; ``cause`` says which limit started it."""

    retry_after: int
    cause: Cause


ADMIT = Admit()
Decision = Admit | Shed


def is_new_call(request: Request) -> bool:
    """An INVITE outside any dialog: the only request overload control may refuse."""
    to = request.to
    return request.method == "INVITE" and (to is None or to.tag is None)


def _no_discount() -> int:
    return 0


class OverloadGuard:
    """Judges new calls against :class:`Limits`; ``transactions`` (live server transactions,
    less what :meth:`discount` names: the shed ones still alive) and ``lag`` read the current
    load each time a new INVITE is judged, as do the sources given to :meth:`count_pending`
    and :meth:`watch_backlog`. Without a pending count the live count stands in for it.
    ``shed`` counts the INVITEs refused."""

    def __init__(
        self, limits: Limits, transactions: Callable[[], int], lag: Callable[[], float]
    ) -> None:
        self.limits = limits
        self._transactions = transactions
        self._lag = lag
        self._discount: Callable[[], int] = _no_discount
        self._pending: Callable[[], int] | None = None
        self._backlogs: list[Backlog] = []
        self._cause: Cause | None = None
        self._throttle: Admission | None = None
        self._passed: Request | None = None  # admitted by the throttle ahead of the layer
        self.shed = 0
        self.stateless = 0  # of ``shed``: refused without a transaction (while shedding)

    def discount(self, transactions: Callable[[], int]) -> None:
        """Live transactions that are not load (the 503s' own): subtracted from the count."""
        self._discount = transactions

    def count_pending(self, transactions: Callable[[], int]) -> None:
        """The server transactions in progress (what ``max_transactions`` bounds)."""
        self._pending = transactions

    def watch_backlog(self, backlog: Backlog) -> None:
        """Shed also on ``backlog`` (its ``fill`` past ``max_backlog``, or any drop)."""
        if backlog not in self._backlogs:
            self._backlogs.append(backlog)

    def use_throttle(self, throttle: Admission) -> None:
        """Below the limits, admit only the new INVITEs ``throttle`` takes (a share,
        :mod:`fleet.sip.overload_throttle`, or a rate, :mod:`fleet.sip.overload_rate`); its
        ``sample`` is the caller's to run."""
        self._throttle = throttle

    @property
    def throttle(self) -> Admission | None:
        return self._throttle

    @property
    def live(self) -> int:
        """The live server transactions the guard counts now (shed ones left out)."""
        return max(0, self._transactions() - self._discount())

    @property
    def in_flight(self) -> int:
        """The server transactions in progress now (the live ones without a pending count)."""
        return self.live if self._pending is None else self._pending()

    @property
    def shedding(self) -> bool:
        """Past a limit, or the throttle judging new INVITEs (then from their bytes)."""
        throttle = self._throttle
        return self._cause is not None or (throttle is not None and throttle.active)

    @property
    def refusing(self) -> bool:
        """Past a limit, or the throttle refusing some new INVITEs now (a setup window judges
        every one but refuses only while full)."""
        throttle = self._throttle
        return self._cause is not None or (throttle is not None and throttle.refusing)

    def _judge(self) -> Cause | None:
        self._update()
        cause = self._cause
        throttle = self._throttle
        if cause is None and throttle is not None and not throttle.take():
            cause = Cause.THROTTLE
        return cause

    def admit(self, request: Request) -> Decision:
        if not is_new_call(request):
            return ADMIT
        if self._passed is request:  # the throttle admitted it ahead of the layer
            self._passed = None
            return ADMIT
        cause = self._judge()
        if cause is None:
            return ADMIT
        self.shed += 1
        return Shed(self.limits.retry_after, cause)

    def pass_judged(self, request: Request) -> None:
        """``request`` was admitted by :meth:`judge_shedding` before it was parsed: :meth:`admit`
        passes it without judging it again."""
        self._passed = request

    def judge_shedding(self, request: Request | None = None) -> Shed | None:
        """For a new INVITE (``request``) matching no transaction, asked ahead of the
        transaction layer: a :class:`Shed` to refuse it statelessly when the guard is shedding
        and still is after reading the load again, or the throttle refuses it (counted in
        ``shed`` and ``stateless``), else None: it goes on to the layer, and to :meth:`admit`
        there (which does not judge it again)."""
        if not self.shedding:
            return None
        cause = self._judge()
        if cause is None:
            self._passed = request
            return None
        self.shed += 1
        self.stateless += 1
        return Shed(self.limits.retry_after, cause)

    def _backlog(self) -> tuple[float, int]:
        fill, dropped = 0.0, 0
        for backlog in self._backlogs:
            fill = max(fill, backlog.fill or 0.0)
            dropped += backlog.dropped
        return fill, dropped

    def _update(self) -> None:
        limits = self.limits
        pending = self.in_flight
        live = self.live if self._pending is not None else pending
        lag = self._lag()
        fill, dropped = self._backlog()
        if self._cause is None:
            if pending > limits.max_transactions:
                self._cause = Cause.TRANSACTIONS
            elif live > limits.max_live_transactions:
                self._cause = Cause.LIVE
            elif lag > limits.max_lag:
                self._cause = Cause.LAG
            elif fill > limits.max_backlog or dropped:
                self._cause = Cause.BACKLOG
            if self._cause is not None:
                log.warning(
                    "SIP overload: shedding new INVITEs (%s; %d in progress, %d live, lag %.3f s,"
                    " UDP backlog %.0f %%, %d dropped)",
                    self._cause.value,
                    pending,
                    live,
                    lag,
                    100 * fill,
                    dropped,
                )
        elif (
            pending <= limits.resume_transactions
            and live <= limits.resume_live
            and lag <= limits.resume_lag
            and fill <= limits.resume_backlog
            and not dropped
        ):
            log.warning(
                "SIP overload over: admitting new INVITEs (%d in progress, lag %.3f s, %d shed,"
                " %d of them statelessly)",
                pending,
                lag,
                self.shed,
                self.stateless,
            )
            self._cause = None
