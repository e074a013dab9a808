"""FleetPBX's cost per SIP call measured independently of the machine's load: one process, one
event loop, three SIP stacks on loopback UDP — the S-CSCF (a :class:`fleet.sip.ua_core.UserAgent`
placing calls), FleetPBX (the stack, edge, agent and network adapter the composition root
builds for ``network = sip`` — ``fleet.app_sip`` — and the engine of ``build_sip_exchange`` on
an in-memory fleet of ``--lines`` lines, call records discarded, structlog at ``--log-level``)
and the handsets (a UA answering 180 then 200 with SDP at once). Every call is a direct call
to a line of the fleet: INVITE/100/180/200/ACK on both legs, then the caller's BYE and its
200, FleetPBX's BYE to the handset and its 200.

Phases (each printed):

1. **batches** — ``--batches`` runs of ``--calls`` complete calls, ``--window`` in flight at a
   time, no hold; per batch: CPU (``time.process_time``) per call, Python function calls per
   call (``--count-calls``: a ``sys.setprofile`` counter, deterministic, slows the run), the
   collector's passes, tracked objects after the batch and the sizes of FleetPBX's per-call
   structures (what grows over a long run);
2. **held** — ``--held`` calls (comma-separated counts, e.g. ``1000,10000``) placed and held
   up together, then released: tracked objects (``gc.get_objects``) and traced bytes
   (``tracemalloc``, ``--no-tracemalloc`` to skip) per call in progress, against the same
   process just before.

``--direct``: the S-CSCF calls the handsets with no FleetPBX between (the load generator's own
cost, to subtract). ``--callgrind`` reruns this script under ``valgrind --tool=callgrind`` with
``--calls A`` and ``--calls B`` (one batch, window 1, no held phase), with and without FleetPBX,
and prints FleetPBX's instructions per call: ``((I_fleet(B) - I_fleet(A)) - (I_direct(B) -
I_direct(A))) / (B - A)`` — a figure that does not depend on what else the machine runs.
Retransmissions (a stack too slow under valgrind for timer A) are printed; a figure with any
is not comparable.

    .venv/bin/python bench/sip_cpu.py [--calls 2000] [--batches 5] [--window 20]
        [--held 1000,10000] [--lines 10000] [--count-calls] [--direct] [--profile PATH]
    .venv/bin/python bench/sip_cpu.py --callgrind [--callgrind-calls 50,250]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import re
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from _report import out

from fleet import heap, logs
from fleet.app_sip import build_sip_stack, sip_side
from fleet.config import NetworkKind, Settings
from fleet.core.model import CallRecord
from fleet.exchange import Exchange, build_sip_exchange
from fleet.exchange.eventlog import StructlogEvents
from fleet.exchange.ids import CallIds
from fleet.exchange.looptime import LoopTime
from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.overload import Limits
from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.ua_calls import IncomingCall, OutgoingCall
from fleet.sip.ua_core import UserAgent
from fleet.sip.validate import UasPolicy
from fleet.sipnet.network import SipNetwork
from tests.memory import MemoryFleets

LOOPBACK = "127.0.0.1"
CALLER = "+33699000009"  # outside the fleet, as the S-CSCF's caller in sip_calls
SDP_OFFER = b"v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
SDP_ANSWER = b"v=0\r\no=callee 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


class Discard:
    """Call records counted, not kept (the database writer is not what is measured)."""

    def __init__(self) -> None:
        self.count = 0

    def record(self, record: CallRecord) -> None:
        self.count += 1


@dataclass
class Caller:
    """The S-CSCF's UA listener: answered calls hang up at once (or when released)."""

    ua: UserAgent
    hold: bool = False
    answered: int = 0
    failures: int = 0
    up: list[Dialog] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def incoming(self, call: IncomingCall) -> None:
        self.ua.reject(call, 603)

    def incoming_ended(self, call: IncomingCall) -> None:
        pass

    def progress(self, call: OutgoingCall, response: Response) -> None:
        if response.status < 200:
            return
        if response.status >= 300:
            self.failures += 1
            sys.stderr.write(f"call failed: {response.status} {response.reason}\n")
            self.changed.set()
            return
        self.answered += 1
        dialog = call.dialog
        assert dialog is not None
        if self.hold:
            self.up.append(dialog)
        else:
            self.ua.bye(dialog)
        self.changed.set()

    def failed(self, call: OutgoingCall) -> None:
        self.failures += 1
        self.changed.set()

    def dialog_ended(self, dialog: Dialog) -> None:
        pass


@dataclass
class Handsets:
    """The handsets' UA listener: every INVITE rung and answered at once; BYEs counted."""

    ua: UserAgent
    ended: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def incoming(self, call: IncomingCall) -> None:
        self.ua.ring(call)
        self.ua.answer(call, body=SDP_ANSWER, content_type="application/sdp")

    def incoming_ended(self, call: IncomingCall) -> None:
        pass

    def progress(self, call: OutgoingCall, response: Response) -> None:
        pass

    def failed(self, call: OutgoingCall) -> None:
        pass

    def dialog_ended(self, dialog: Dialog) -> None:
        self.ended += 1
        self.changed.set()


def timers(args: argparse.Namespace) -> TimerConfig:
    """The stacks' timers: the defaults, or with ``--t1`` every retransmission, the 100 Trying
    and the lingering 64*T1 that long (under valgrind: nothing fires within the run)."""
    if args.t1 is None:
        return TimerConfig()
    return TimerConfig(t1=args.t1, t2=max(args.t1, 4.0), trying_delay=args.t1)


async def plain_stack(args: argparse.Namespace) -> SipStack:
    stack = SipStack(
        TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()),
        limits=Limits(max_lag=args.max_lag),
        timers=timers(args),
    )
    await stack.start()
    return stack


def ua_on(stack: SipStack, user: str, config: TimerConfig) -> UserAgent:
    address = Peer(UDP, LOOPBACK, stack.listening[0])
    ua = UserAgent(stack.scheduler, stack.port, address, user, timers=config)
    stack.attach(ua)
    return ua


class Received:
    """Messages the three stacks' transaction layers received: per call a fixed number, more
    when something was retransmitted (the run is then not comparable)."""

    def __init__(self) -> None:
        self.count = 0

    def watch(self, stack: SipStack) -> None:
        layer = stack.layer
        on_request, on_response = layer.on_request, layer.on_response

        def request(request: Request, source: Peer) -> None:
            self.count += 1
            on_request(request, source)

        def response(response: Response, source: Peer | None = None) -> None:
            self.count += 1
            on_response(response, source)

        layer.on_request = request  # type: ignore[method-assign]
        layer.on_response = response  # type: ignore[method-assign]


@dataclass
class Rig:
    scscf: UserAgent
    caller: Caller
    handsets: Handsets
    target: Peer  # where the S-CSCF sends its INVITEs
    numbers: list[str]  # the lines' E.164 numbers, +33…
    stacks: list[SipStack]
    exchange: Exchange[SipNetwork] | None = None
    fleet_stack: SipStack | None = None
    records: Discard | None = None
    received: Received = field(default_factory=Received)

    def sizes(self) -> dict[str, int]:
        """The sizes of FleetPBX's long-lived structures (what a long run could grow)."""
        if self.exchange is None or self.fleet_stack is None:
            return {}
        network = self.exchange.network
        agent = network.agent
        layer = self.fleet_stack.layer
        found = {
            "engine.active_calls": self.exchange.engine.active_calls,
            "network.legs": network.legs,
            "agent.calls_held": agent.calls_held,
            "agent.dialogs": len(agent.dialogs),
        }
        for owner, prefix in ((layer, "layer"), (agent, "agent"), (network, "network")):
            for name, value in vars(owner).items():
                if isinstance(value, dict | list | set):
                    found[f"{prefix}.{name}"] = len(value)
        return found


async def build(args: argparse.Namespace) -> Rig:
    handsets_stack = await plain_stack(args)
    handsets_ua = ua_on(handsets_stack, "handsets", timers(args))
    handsets = Handsets(handsets_ua)
    handsets_ua.listener = handsets
    scscf_stack = await plain_stack(args)
    scscf_ua = ua_on(scscf_stack, "scscf", timers(args))
    caller = Caller(scscf_ua)
    scscf_ua.listener = caller
    fleets = MemoryFleets()
    fleet = fleets.add_fleet("Bench")
    numbers = []
    for i in range(args.lines):
        line = fleets.add_line(fleet.id, f"061{i:07d}", f"Line {i}")
        numbers.append(str(line.msisdn))
    stacks = [handsets_stack, scscf_stack]
    if args.direct:
        target = Peer(UDP, LOOPBACK, handsets_stack.listening[0])
        return Rig(scscf_ua, caller, handsets, target, numbers, stacks)
    settings = Settings(
        network=NetworkKind.SIP,
        sip_host=LOOPBACK,
        sip_port=0,
        sip_core=f"{LOOPBACK}:{handsets_stack.listening[0]}",
        sip_trusted_peers=(LOOPBACK,),
        log_level=args.log_level,
        sip_max_lag=args.max_lag,  # valgrind slows the loop far past the guard's 0.5 s
        sip_t1=timers(args).t1,
        sip_t2=timers(args).t2,
    )
    stack = build_sip_stack(settings)
    if args.t1 is not None:  # the 100 Trying's delay too (not a setting)
        layer = stack.layer
        layer._wiring = dataclasses.replace(layer._wiring, timers=timers(args))
    await stack.start()
    records = Discard()
    exchange = build_sip_exchange(
        sip=sip_side(settings, stack),
        time=LoopTime(),
        directory=fleets.table,
        recorder=records,
        policy=settings.number_policy(),
        log=StructlogEvents(),
        new_id=CallIds(),
    )
    stacks.append(stack)
    target = Peer(UDP, LOOPBACK, stack.listening[0])
    return Rig(scscf_ua, caller, handsets, target, numbers, stacks, exchange, stack, records)


def place(rig: Rig, number: str) -> None:
    rig.scscf.invite(
        f"sip:{number}@{rig.target.host};user=phone",
        rig.target,
        body=SDP_OFFER,
        content_type="application/sdp",
        local_party=f"<tel:{CALLER}>",
        headers=(("P-Asserted-Identity", f"<tel:{CALLER}>"),),
    )


async def wait_for(event: asyncio.Event, done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 900.0
    while not done():
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}") from None


async def settle(rig: Rig) -> None:
    """Until FleetPBX holds no call (its last BYE's 200 in)."""
    exchange = rig.exchange
    while exchange is not None and (exchange.engine.active_calls or exchange.network.legs):  # noqa: ASYNC110
        await asyncio.sleep(0.005)  # polls counts the engine and adapter keep: no event
    for _ in range(5):
        await asyncio.sleep(0)


async def calls(rig: Rig, count: int, window: int, start: int) -> None:
    """``count`` complete calls, ``window`` in flight, callees from line ``start`` on."""
    caller, handsets = rig.caller, rig.handsets
    base_ended = handsets.ended
    base_done = caller.answered + caller.failures
    placed = 0
    numbers = rig.numbers
    while placed < count:
        in_flight = placed - (handsets.ended - base_ended)
        while placed < count and in_flight < window:
            place(rig, numbers[(start + placed) % len(numbers)])
            placed += 1
            in_flight += 1
        sent = placed
        await wait_for(
            handsets.changed,
            lambda: sent - (handsets.ended - base_ended) < window or sent >= count,  # noqa: B023
            "a call to end",
        )
    await wait_for(handsets.changed, lambda: handsets.ended - base_ended >= count, "the calls")
    if caller.answered + caller.failures - base_done != count or caller.failures:
        raise RuntimeError(f"{caller.failures} calls failed")
    await settle(rig)


class CallCounter:
    """Python function calls made (``sys.setprofile``'s call events): deterministic."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" or event == "c_call":
            self.count += 1

    def __enter__(self) -> CallCounter:
        sys.setprofile(self)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)


def tracked() -> int:
    return len(gc.get_objects())


async def batches(rig: Rig, args: argparse.Namespace) -> None:
    passes = [0, 0, 0]
    gc_cpu = [0.0, 0.0]  # CPU seconds in the collector this batch, start of the pass running

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes[info["generation"]] += 1
            gc_cpu[1] = time.process_time()
        else:
            gc_cpu[0] += time.process_time() - gc_cpu[1]

    gc.callbacks.append(on_gc)
    start = 0
    out(f"batches of {args.calls} calls, {args.window} in flight:")
    for batch in range(args.batches):
        passes[:] = [0, 0, 0]
        gc_cpu[0] = 0.0
        counter = CallCounter() if args.count_calls else None
        received = rig.received.count
        cpu = time.process_time()
        if counter is not None:
            with counter:
                await calls(rig, args.calls, args.window, start)
        else:
            await calls(rig, args.calls, args.window, start)
        cpu = time.process_time() - cpu
        start += args.calls
        line = (
            f"  batch {batch + 1}: {cpu / args.calls * 1e6:,.0f} µs CPU/call"
            + (f", {counter.count / args.calls:,.0f} Python calls/call" if counter else "")
            + f", collector {gc_cpu[0] / args.calls * 1e6:,.0f} µs/call (passes {passes})"
            + f", tracked {tracked():,}"
            + f", {(rig.received.count - received) / args.calls:.2f} messages/call"
        )
        out(line)
        if args.sizes:
            grown = {k: v for k, v in rig.sizes().items() if v}
            out(f"    {grown}")
    gc.callbacks.remove(on_gc)


async def held(rig: Rig, count: int, use_tracemalloc: bool, top: int = 0) -> None:
    caller, handsets = rig.caller, rig.handsets
    if count > len(rig.numbers):
        raise SystemExit(f"--held {count} needs as many lines (--lines)")
    await asyncio.sleep(0)
    gc.collect()
    objects_before = tracked()
    if use_tracemalloc:
        tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0] if use_tracemalloc else 0
    caller.hold = True
    caller.up.clear()
    answered = caller.answered
    window = 50
    placed = 0
    while placed < count:
        while placed < count and placed - (caller.answered - answered) < window:
            place(rig, rig.numbers[placed])
            placed += 1
        sent = placed
        await wait_for(
            caller.changed,
            lambda: sent - (caller.answered - answered) < window or caller.failures > 0,  # noqa: B023
            "answers",
        )
        if caller.failures:
            raise RuntimeError(f"{caller.failures} calls failed")
    await wait_for(caller.changed, lambda: caller.answered - answered >= count, "all answered")
    for _ in range(20):
        await asyncio.sleep(0.01)  # the last ACKs through
    gc.collect()
    objects = tracked() - objects_before
    traced = tracemalloc.get_traced_memory()[0] - traced_before if use_tracemalloc else 0
    if use_tracemalloc and top:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        for stat in snapshot.statistics("lineno")[:top]:
            out(
                f"    {stat.size / count:8,.0f} B/call {stat.count / count:6.2f}/call"
                f"  {stat.traceback}"
            )
    if use_tracemalloc:
        tracemalloc.stop()
    line = f"  {count:,} calls in progress: +{objects / count:,.1f} tracked objects/call"
    if use_tracemalloc:
        line += f", +{traced / count / 1024:,.2f} kB/call (tracemalloc, all three stacks)"
    out(line)
    ended = handsets.ended
    caller.hold = False
    for dialog in caller.up:
        rig.scscf.bye(dialog)
    caller.up.clear()
    await wait_for(handsets.changed, lambda: handsets.ended - ended >= count, "the releases")
    await settle(rig)


async def main_async(args: argparse.Namespace) -> None:
    logs.configure(level=args.log_level)
    rig = await build(args)
    for stack in rig.stacks:
        rig.received.watch(stack)
        if args.no_lag_monitor:  # its /proc reads every 0.1 s would count wall time
            stack.lag.stop()
    heap.settle()  # start-up frozen, as ``fleetpbx serve`` does
    mode = "direct (no FleetPBX)" if args.direct else "through FleetPBX"
    out(f"sip_cpu: {mode}, {args.lines:,} lines")
    await calls(rig, args.warmup, args.window, 0)  # warm-up: caches, first imports
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    await batches(rig, args)
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    if args.held:
        out("calls held up together:")
        for count in args.held:
            await held(rig, count, not args.no_tracemalloc, args.top)
    out(f"messages received {rig.received.count:,}")
    for stack in rig.stacks:
        await stack.stop()


COLLECTED = re.compile(rb"Collected : (\d+)")


def callgrind(args: argparse.Namespace) -> None:
    """FleetPBX's instructions per call, under callgrind (see the module's text)."""
    low, high = args.callgrind_calls
    script = Path(__file__).resolve()
    counts: dict[tuple[bool, int], int] = {}
    for direct in (False, True):
        for n in (low, high):
            command = [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                str(script),
                "--calls",
                str(n),
                "--batches",
                "1",
                "--window",
                "1",
                "--warmup",
                str(args.warmup),
                "--lines",
                str(args.lines),
                "--held",
                "",
                "--log-level",
                args.log_level,
                "--max-lag",
                "3600",
                "--t1",
                str(args.callgrind_t1),
                "--no-lag-monitor",
                *(["--direct"] if direct else []),
            ]
            run = subprocess.run(command, capture_output=True, check=False)
            if run.returncode != 0:
                sys.stderr.write(run.stderr.decode(errors="replace")[-3000:])
                raise SystemExit(f"{' '.join(command)} failed")
            found = COLLECTED.search(run.stderr)
            assert found is not None, run.stderr.decode(errors="replace")[-2000:]
            counts[direct, n] = int(found.group(1))
            tail = run.stdout.decode().strip().splitlines()[-2]
            out(
                f"  {'direct' if direct else 'fleet '} {n:>5} calls: {counts[direct, n]:,} "
                f"instructions ({tail})"
            )
    fleet = counts[False, high] - counts[False, low]
    direct_cost = counts[True, high] - counts[True, low]
    per_call = (fleet - direct_cost) / (high - low)
    out(
        f"FleetPBX: {per_call / 1e6:.3f} M instructions per call "
        f"(load generator {direct_cost / (high - low) / 1e6:.3f} M per call, subtracted)"
    )


def counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--held", type=counts, default=[1000, 10000])
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--direct", action="store_true")
    parser.add_argument("--count-calls", action="store_true")
    parser.add_argument("--sizes", action="store_true")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--top", type=int, default=0, help="allocation sites printed (held)")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--max-lag", type=float, default=3600.0)  # cost, not overload
    parser.add_argument("--t1", type=float, help="T1, the 100 Trying's delay (s)")
    parser.add_argument("--callgrind-t1", type=float, default=8.0)
    parser.add_argument("--no-lag-monitor", action="store_true")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--callgrind-calls", type=counts, default=[50, 250])
    args = parser.parse_args()
    if args.callgrind:
        callgrind(args)
        return
    try:
        import uvloop

        uvloop.run(main_async(args))
    except ImportError:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
