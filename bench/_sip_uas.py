"""The UAS that ``sip_stack.py`` calls, in a process of its own (its CPU time is its own, SIPp's
is not in it): a :class:`fleet.sip.stack.SipStack` on 127.0.0.1 whose transaction user is the
UA core (:class:`fleet.sip.ua_core.UserAgent`) behind the overload guard
(:class:`fleet.sip.overload_user.GuardedUser`). Each new INVITE is answered 200 with a small SDP at
once; the caller's ACK confirms the call, its BYE ends it (the UA core answers 200). Past the
guard's limits new INVITEs get 503 with Retry-After: statelessly while the guard sheds (the
stack screens each request ahead of the layer below, :mod:`fleet.sip.overload_stateless`), and
the stack itself watches its UDP receive queue.

It prints ``ready <port>`` once listening, then answers each line read on stdin:
``stats`` with one JSON line of its counters and its CPU time so far (``time.process_time``),
``quit`` by stopping the stack (with ``--profile PATH``, the cProfile statistics of the run are
written there first).

    .venv/bin/python bench/_sip_uas.py [--loop uvloop|asyncio] [--max-transactions N]
        [--max-lag S] [--profile PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import cProfile
import json
import logging
import time
from dataclasses import asdict, dataclass

from fleet import heap
from fleet.sip.message import Request
from fleet.sip.overload import Limits
from fleet.sip.stack import SipStack
from fleet.sip.transaction_server import InviteServerTransaction, ServerTransaction
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.ua_calls import IncomingCall
from fleet.sip.ua_core import UserAgent
from fleet.sip.validate import UasPolicy

LOOPBACK = "127.0.0.1"
SDP = (
    "v=0\r\no=fleetpbx 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
).encode("ascii")


@dataclass
class Counters:
    invites: int = 0  # new calls the guard admitted (answered 200)
    acks: int = 0
    byes: int = 0  # calls ended by the caller's BYE: completed calls
    shed: int = 0  # new INVITEs refused 503
    transactions: int = 0  # server transactions alive now
    max_transactions: int = 0
    lag: float = 0.0  # the guard's (smoothed) lag now
    worst_lag: float = 0.0
    cpu: float = 0.0  # CPU seconds of this process so far
    drops: int = 0  # datagrams the kernel dropped at our UDP socket (its buffer full)


def udp_drops(port: int) -> int:
    """The ``drops`` column of ``/proc/net/udp`` for the socket bound to 127.0.0.1:``port``."""
    local = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as table:
        for row in table:
            fields = row.split()
            if len(fields) > 12 and fields[1] == local:
                return int(fields[-1])
    return 0


class AnsweringUa(UserAgent):
    """Answers every new call 200 with :data:`SDP` at once."""

    def __init__(self, stack: SipStack) -> None:
        super().__init__(stack.scheduler, stack.port, Peer(UDP, LOOPBACK, stack.listening[0]), "b")
        self.counters = Counters()
        self.on_incoming = self._answer

    def _answer(self, call: IncomingCall) -> None:
        self.counters.invites += 1
        self.answer(call, body=SDP, content_type="application/sdp")

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        super().on_request(transaction, request)
        if request.method == "BYE":
            self.counters.byes += 1

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        super().on_ack(request, invite)
        self.counters.acks += 1


async def serve(args: argparse.Namespace, profile: cProfile.Profile | None) -> None:
    logging.basicConfig(level=logging.ERROR)  # the guard's warnings would flood stderr
    limits = Limits(max_transactions=args.max_transactions, max_lag=args.max_lag)
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()), limits=limits)
    await stack.start()
    guard = stack.guard
    assert guard is not None
    ua = AnsweringUa(stack)
    stack.attach(ua)  # behind the stack's overload guard
    heap.settle()  # start-up's objects frozen, as ``fleetpbx serve`` does (fleet.heap)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    sys.stdout.write(f"ready {stack.listening[0]}\n")
    sys.stdout.flush()
    counters = ua.counters
    peak = 0

    def sample() -> None:
        nonlocal peak
        peak = max(peak, stack.layer.server_transactions)
        loop.call_later(0.1, sample)

    sample()
    if profile is not None:
        profile.enable()
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "quit":
                break
            counters.shed = guard.shed
            counters.transactions = stack.layer.server_transactions
            counters.max_transactions, peak = peak, 0
            counters.lag = stack.lag.lag
            counters.worst_lag, stack.lag.worst = stack.lag.worst, 0.0
            counters.cpu = time.process_time()
            counters.drops = udp_drops(stack.listening[0])
            sys.stdout.write(json.dumps(asdict(counters)) + "\n")
            sys.stdout.flush()
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        await stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--max-transactions", type=int, default=Limits().max_transactions)
    parser.add_argument("--max-lag", type=float, default=Limits().max_lag)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve(args, profile))
    else:
        asyncio.run(serve(args, profile))


if __name__ == "__main__":
    main()
