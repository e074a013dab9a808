"""sip_parse: the SIP message layer's CPU cost per message — parse, serialize, validate, and
the typed header values the stack reads (``.via``, ``.to``, ``.cseq`` …), cold and cached.

The messages are the IMS corpus of the tests (``tests/sip/ims.py``: a 21-header terminating
INVITE with SDP, a compact and folded one, a bare-LF re-INVITE) and a BYE, a 200 and an ACK of
the same call. The anchor, measured in the same run on the same bytes, is the least any parser
does: decode, split the head into lines, ``partition(":")`` each line into a dict. Every figure
is the best of ``--repeat`` timed loops of ``--number`` messages (garbage collector off), in µs
per message, with its ratio to the anchor of that message. Prints figures; it is a benchmark,
not a test.

    .venv/bin/python bench/sip_parse.py [--number N] [--repeat N] [--runs N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import _anchor
from _report import out

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.validate import UasPolicy, check_request, check_response
from tests.sip.ims import CORPUS

_DIALOG = (
    "Via: SIP/2.0/UDP scscf1.ims.example.net:5060;branch=z9hG4bK-524287-2---b7;rport\r\n"
    "Via: SIP/2.0/TCP pcscf2.ims.example.net:5070;received=10.20.0.7;branch=z9hG4bKd7c1.05\r\n"
    "Route: <sip:fleet.example.net:5060;transport=udp;lr>\r\n"
    "Max-Forwards: 69\r\n"
    'From: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl\r\n'
    "To: <tel:+33611000004>;tag=fleet-9f3a\r\n"
    "Call-ID: 3848276298220188511@10.20.0.31\r\n"
)
BYE = (
    "BYE sip:+33611000004@10.1.1.2:5060 SIP/2.0\r\n" + _DIALOG + "CSeq: 2 BYE\r\n"
    "Content-Length: 0\r\n\r\n"
).encode()
ACK = (
    "ACK sip:+33611000004@10.1.1.2:5060 SIP/2.0\r\n" + _DIALOG + "CSeq: 1 ACK\r\n"
    "Content-Length: 0\r\n\r\n"
).encode()
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP fleet.example.net:5060;branch=z9hG4bK-fleet-1;received=10.1.1.2\r\n"
    b'From: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl\r\n'
    b"To: <tel:+33611000004>;tag=fleet-9f3a\r\n"
    b"Call-ID: 3848276298220188511@10.20.0.31\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:fleet.example.net:5060>\r\n"
    b"Record-Route: <sip:scscf1.ims.example.net:5060;transport=udp;lr>\r\n"
    b"Content-Length: 0\r\n\r\n"
)
MESSAGES = {**CORPUS, "bye": BYE, "ack": ACK, "ok_200": OK}


def bare(data: bytes) -> dict[str, str]:
    """The anchor: the head split into lines, each partitioned into a dict."""
    head, _, _ = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "surrogateescape").split("\r\n")
    found: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return found


def best_us(run: Callable[[], object], number: int, repeat: int) -> float:
    """Best of ``repeat`` loops of ``number`` calls, in µs per call (garbage collector off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter_ns()
            for _ in range(number):
                run()
            best = min(best, (time.perf_counter_ns() - t0) / number / 1e3)
    finally:
        if enabled:
            gc.enable()
    return best


def best_fresh_us(
    data: bytes, act: Callable[[Request | Response], object], number: int, repeat: int
) -> float:
    """Best of ``repeat`` loops of ``act`` on ``number`` freshly parsed messages (nothing of a
    previous call cached), the parse not timed; µs per message."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        best = float("inf")
        for _ in range(repeat):
            fresh = [parse_message(data) for _ in range(number)]
            t0 = time.perf_counter_ns()
            for message in fresh:
                act(message)
            best = min(best, (time.perf_counter_ns() - t0) / number / 1e3)
    finally:
        if enabled:
            gc.enable()
    return best


def _typed(message: Request | Response) -> object:
    """What the transaction and dialog layers read of a message."""
    found = (
        message.top_via,
        message.via,
        message.from_,
        message.to,
        message.call_id,
        message.cseq,
        message.contacts,
        message.record_routes,
    )
    if isinstance(message, Request):
        return found, message.uri, message.routes
    return found


def _validate(policy: UasPolicy, fast_path: bool = True) -> Callable[[Request | Response], object]:
    """Validation as the transport runs it; ``fast_path=False``: every value parsed by the full
    parsers (the path taken before the fast syntax checks, and still for unusual values)."""

    def act(message: Request | Response) -> object:
        if isinstance(message, Request):
            return check_request(message, policy, fast_path=fast_path)
        return check_response(message, fast_path=fast_path)

    return act


def measure(
    name: str, data: bytes, number: int, repeat: int, policy: UasPolicy
) -> dict[str, float]:
    anchor = best_us(lambda: bare(data), number, repeat)
    message = parse_message(data)
    figures = {
        "parse": best_us(lambda: parse_message(data), number, repeat),
        "serialize": best_us(lambda: serialize(message), number, repeat),
        "validate": best_fresh_us(data, _validate(policy), number, repeat),
        "validate, full": best_fresh_us(data, _validate(policy, fast_path=False), number, repeat),
        "typed, 1st": best_fresh_us(data, _typed, number, repeat),
    }
    _typed(message)
    figures["typed, again"] = best_us(lambda: _typed(message), number, repeat)
    validate = _validate(policy)

    def whole() -> object:
        received = parse_message(data)
        validate(received)
        return _typed(received)

    def receive() -> object:
        return validate(parse_message(data))

    figures["parse+validate"] = best_us(receive, number, repeat)
    figures["parse+validate+typed"] = best_us(whole, number, repeat)
    # the anchor again, the lower kept: a burst of other work during one of them is left out
    anchor = min(anchor, best_us(lambda: bare(data), number, repeat))
    out(
        f"{name}: {len(data)} bytes, {len(message.headers)} header lines; "
        f"anchor (bare split/partition into a dict) {anchor:.2f} µs"
    )
    for label, us in figures.items():
        out(f"  {label:<22} {us:7.2f} µs  {us / anchor:5.2f} × anchor")
    return figures


def _summary(runs: list[dict[str, dict[str, float]]], machine: _anchor.Anchor) -> None:
    """Min and median over the runs of each message's parse + validate figures, and the median
    parse + validate in thousandths of the machine's CPU anchor (``mAc``, bench/_anchor.py)."""
    out(f"over {len(runs)} run(s) (min / median, µs):")
    for name in runs[0]:
        cells = []
        for label in ("parse", "validate", "validate, full", "parse+validate"):
            values = [run[name][label] for run in runs]
            cells.append(f"{label} {min(values):.2f} / {statistics.median(values):.2f}")
        median = statistics.median(run[name]["parse+validate"] for run in runs)
        # µs over the CPU anchor's ms: thousandths of an anchor
        cells.append(f"parse+validate {median / machine.cpu_ms:.2f} mAc")
        out(f"  {name:<17} " + "; ".join(cells))


def main(args: argparse.Namespace) -> int:
    out(
        f"sip_parse: best of {args.repeat} loops of {args.number} messages, µs per message; "
        f"machine: {os.cpu_count()} CPUs, load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    first = _anchor.measure("before")
    policy = UasPolicy()
    runs = []
    for _ in range(args.runs):
        runs.append(
            {
                name: measure(name, data, args.number, args.repeat, policy)
                for name, data in MESSAGES.items()
            }
        )
    _summary(runs, _anchor.mean(first, _anchor.measure("after")))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--number", type=int, default=500, help="messages per timed loop")
    parser.add_argument("--repeat", type=int, default=25, help="timed loops; the best is kept")
    parser.add_argument("--runs", type=int, default=1, help="whole runs; min and median printed")
    args = parser.parse_args(argv)
    if args.number < 1 or args.repeat < 1 or args.runs < 1:
        parser.error("--number, --repeat and --runs must be 1 or more")
    return args


if __name__ == "__main__":
    sys.exit(main(parse_args()))
