"""The SIP stack on the event loop: :class:`SipTransport` below, :class:`TransactionLayer` above
it, a transaction user (TU) on top, joined by two adapters:

- :class:`LoopScheduler` (:mod:`fleet.sip.loop_scheduler`), the layer's scheduler port on the
  running loop's ``call_later`` and ``time``, long timers on a coarse timer wheel; it remembers
  the timers it started, so stopping the stack cancels them all;
- :class:`TransportPort`, the layer's synchronous ``send`` over the asynchronous transport: a
  response goes out at once when its connection is open or it goes by UDP to an address, a
  request when it goes by UDP to an address (no task per send: the cost that showed in the
  profile under load); else (a connection to open, a name to resolve) a task sends it (the
  order of the sends made at once is the order of the calls), and a failure
  is reported to the layer, which ends the transaction that sent it and tells the TU, as for a
  send that failed at once (RFC 3261 §17.1.4, §17.2.4).

:class:`SipStack` owns the three: ``await start()``, ``await stop()`` (nothing left running);
``attach(ua)`` runs a :class:`fleet.sip.ua_core.UserAgent` on it (the UA's TU, or a TU in front
of it, takes what the layer delivers; the UA sends through the stack's layer).
Given :class:`fleet.sip.overload.Limits`, it puts a :class:`fleet.sip.overload_user.GuardedUser`
between the layer and the TU, fed by the layer's live server transactions, a
:class:`fleet.sip.loadwatch.LagMonitor` on the loop scheduler (started and stopped with the
stack) and, once started, the UDP socket's receive queue
(:class:`fleet.sip.loadwatch.UdpBacklog`, sampled on the monitor's tick): past a limit, new
INVITEs get 503 with Retry-After. While the guard is shedding, each request is first screened
by a :class:`fleet.sip.overload_stateless.StatelessShedder` (the transport's ``screen``: once
parsed and its Via stamped, before it is validated), so a new INVITE is refused statelessly
before validation and the layer see it, and the ACK of that 503 is dropped; a datagram is
screened before that from its bytes (:class:`fleet.sip.overload_raw.RawShedder`, the
transport's ``raw_screen``). ``Limits.throttle`` adds a :class:`fleet.sip.overload_throttle.
Throttle` sampled on the monitor's tick: below the limits, a share of new INVITEs admitted;
``Limits.rate`` a :class:`fleet.sip.overload_rate.RateAdmission` instead: new INVITEs admitted
at the rate the loop carries, measured from the loop thread's CPU per call; ``Limits.setup`` a
:class:`fleet.sip.overload_setup.SetupWindow`: new INVITEs admitted while the calls in setup
are fewer than complete within a share of T1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from fleet.sip.loadwatch import LagMonitor
from fleet.sip.loop_scheduler import LoopScheduler
from fleet.sip.message import Request, Response
from fleet.sip.options import OptionsResponder
from fleet.sip.overload import Limits, OverloadGuard
from fleet.sip.overload_rate import RateAdmission
from fleet.sip.overload_raw import RawShedder
from fleet.sip.overload_setup import InSetup, SetupWindow
from fleet.sip.overload_stateless import StatelessShedder
from fleet.sip.overload_throttle import Throttle
from fleet.sip.overload_user import GuardedUser
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transport import SipTransport
from fleet.sip.transport_types import EventSink, Peer, SendError, TransportConfig
from fleet.sip.ua_core import UserAgent

__all__ = ["LoopScheduler", "SipStack", "TransportPort"]

log = logging.getLogger(__name__)


SendFailed = Callable[[Request | Response, SendError], None]


class TransportPort:
    """The transaction layer's transport port over :class:`SipTransport`."""

    def __init__(self, transport: SipTransport, failed: SendFailed) -> None:
        self._transport = transport
        self._failed = failed
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def send(self, message: Request | Response, destination: Peer) -> None:
        if self.closed:
            raise SendError("the SIP stack is stopped", destination)
        sending: Callable[[], Awaitable[Peer]]
        transport = self._transport
        if isinstance(message, Response):
            if transport.send_response_now(message, destination) is not None:
                return
            sending = lambda: transport.send_response(message, destination)  # noqa: E731
        else:
            if transport.send_request_now(message, destination) is not None:
                return
            sending = lambda: transport.send_request(message, destination)  # noqa: E731
        task = asyncio.get_running_loop().create_task(self._send_later(message, sending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_later(
        self, message: Request | Response, sending: Callable[[], Awaitable[Peer]]
    ) -> None:
        try:
            await sending()
        except SendError as exc:
            self._failed(message, exc)
        except OSError as exc:
            self._failed(message, SendError(str(exc)))
        except Exception as exc:  # a bug below: the transaction must not wait forever
            log.exception("SIP send failed unexpectedly")
            self._failed(message, SendError(repr(exc)))

    @property
    def in_flight(self) -> int:
        """Sends waiting for a connection or a name."""
        return len(self._tasks)

    async def close(self) -> None:
        """Refuse new sends; cancel those still waiting and wait for them."""
        self.closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class SipStack:
    """Transport, transaction layer and TU of one SIP endpoint. The TU defaults to the
    :class:`OptionsResponder` for the transport's policy; any other TU can be given."""

    def __init__(
        self,
        config: TransportConfig,
        *,
        tu: TransactionUser | None = None,
        timers: TimerConfig | None = None,
        events: EventSink | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.tu: TransactionUser = tu or OptionsResponder(
            policy=config.policy or OptionsResponder().policy,
            warn_agent=config.advertised_host or config.host,
        )
        self.scheduler = LoopScheduler()
        self.transport = SipTransport(self, config, events)
        self.port = TransportPort(self.transport, self._send_failed)
        self.lag = LagMonitor(self.scheduler)
        self.guard: OverloadGuard | None = None
        self.shedder: StatelessShedder | None = None
        self.raw_shedder: RawShedder | None = None
        self._timers = timers
        self._guarded: GuardedUser | None = None
        layer_tu = self.tu
        if limits is not None:
            self.guard = OverloadGuard(
                limits, lambda: self.layer.server_transactions, lambda: self.lag.lag
            )
            setups = None
            if limits.setup is not None:
                setups = InSetup(self.scheduler.now, limits.setup.stale_after)
            layer_tu = self._guarded = GuardedUser(self.tu, self.guard, setups)
            self.shedder = StatelessShedder(
                self.guard, lambda r: self.layer.has_server_transaction(r), self.port.send
            )
            self.transport.screen = self.shedder.handled
            self.raw_shedder = RawShedder(
                self.shedder, lambda key: self.layer.has_server_key(key), self.transport.sendto
            )
            self.transport.raw_screen = self.raw_shedder.handled
            if limits.throttle is not None:
                self.guard.use_throttle(Throttle(limits.throttle, lambda: self.lag.lag))
            elif limits.setup is not None and setups is not None:  # the calls in setup
                in_setup = setups
                self.guard.use_throttle(
                    SetupWindow(
                        limits.setup,
                        calls=in_setup.__len__,
                        entered=lambda: in_setup.entered,
                        now=self.scheduler.now,
                    )
                )
            elif limits.rate is not None:  # the loop thread's CPU: sampled on the loop's tick
                self.guard.use_throttle(
                    RateAdmission(
                        limits.rate,
                        now=self.scheduler.now,
                        cpu=time.thread_time,
                        lag=lambda: self.lag.lag,
                    )
                )
        self.layer = TransactionLayer(self.scheduler, self.port, layer_tu, timers)

    def attach(self, ua: UserAgent, *, tu: TransactionUser | None = None) -> None:
        """Run the user agent ``ua`` (built on :attr:`scheduler` and :attr:`port`) on this
        stack: it sends through :attr:`layer`, and what the layer delivers goes to ``tu``, by
        default ``ua`` itself, else a TU in front of it (one answering OPTIONS and passing the
        rest to ``ua``, say), behind the overload guard when the stack has limits. Attach
        before traffic: a new TU without a guard gets a new layer, and the transactions of the
        old one are dropped."""
        user = tu or ua
        if user is not self.tu:
            self.tu = user
            if self._guarded is not None:
                self._guarded.inner = user
            else:
                self.layer = TransactionLayer(self.scheduler, self.port, user, self._timers)
        ua.use_layer(self.layer)

    async def start(self) -> None:
        """Listen (UDP and TCP on ``config.port``, TLS on ``config.tls_port`` when set)."""
        await self.transport.start()
        if self.guard is not None:
            backlog = self.transport.udp_backlog
            if backlog is not None:  # shed also on the kernel's UDP queue
                self.lag.watch(backlog)
                self.guard.watch_backlog(backlog)
            throttle = self.guard.throttle
            if throttle is not None:  # after the backlog: sampled on the same tick
                if backlog is not None:
                    throttle.read_backlog(lambda: backlog.fill)
                self.lag.watch(throttle)
            self.lag.start()

    async def stop(self) -> None:
        """Stop listening, cancel waiting sends and every transaction timer, close every
        connection. Transactions still alive end silently."""
        self.lag.stop()
        await self.port.close()
        self.scheduler.cancel_all()
        await self.transport.close()

    @property
    def listening(self) -> tuple[int, int | None]:
        """The UDP/TCP port and the TLS port (None without TLS), once started."""
        return self.transport.port, self.transport.tls_port

    # the transport's user: everything goes to the transaction layer

    def on_request(self, request: Request, source: Peer) -> None:
        self.layer.on_request(request, source)  # the shedder screened it (transport.screen)

    def on_response(self, response: Response, source: Peer) -> None:
        self.layer.on_response(response, source)

    def _send_failed(self, message: Request | Response, error: SendError) -> None:
        log.info("SIP send failed: %s", error.reason)
        self.layer.transport_failed(message)
