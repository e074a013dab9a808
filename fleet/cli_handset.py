"""``fleetpbx handset NUMBER TEXT [REPLY…]``: a handset of the running demo dials a feature
code and the command prints what its screen shows, menu replies following. It speaks to
netsim's control API (``fleetpbx demo``: the console's address), or with ``--in-process`` to
the in-process demo's ``/sim/ussd``.

Exit codes: 0 the service carried it out (or showed the menu), 3 the service refused the code
(its answer is printed), 1 the simulator refused the request, 2 no demo at the address."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

CONSOLE = "http://127.0.0.1:8070"  # fleetpbx demo's netsim console and control API


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    handset = sub.add_parser(
        "handset",
        parents=[common],
        help="dial a feature code from a handset of the running demo; print what it shows",
    )
    handset.add_argument("number", help="the handset, e.g. 0611000001")
    handset.add_argument("text", help="what it dials, e.g. '**21*0145678910#'")
    handset.add_argument("replies", nargs="*", help="answers to the menu, in order")
    handset.add_argument(
        "--url", help=f"netsim's control API ({CONSOLE}; with --in-process: the service's)"
    )
    handset.add_argument(
        "--in-process",
        action="store_true",
        help="the demo started with --in-process (its /sim/ussd)",
    )


class Refused(Exception):
    """The simulator refused the request (its problem's detail)."""


class NoDemo(Exception):
    """Nothing answers at the address."""


def _post(url: str, body: dict[str, object]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=45) as response:
            shown: dict[str, Any] = json.loads(response.read())
            return shown
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("detail", exc.reason)
        raise Refused(str(detail)) from None
    except OSError as exc:
        raise NoDemo(str(exc)) from None


def _netsim_step(base: str, number: str, text: str, reply: bool) -> tuple[str, bool, bool]:
    """(what the screen shows, refused, a menu is open) after one step through netsim."""
    if reply:
        shown = _post(f"{base}/ussd/reply", {"number": number, "text": text})
    else:
        shown = _post(f"{base}/dial", {"from": number, "to": text})
    screen = shown.get("ussd")
    if not isinstance(screen, dict):
        raise Refused(f"{text!r} is not a feature code (netsim placed a call)")
    if screen.get("error"):
        raise Refused(str(screen["error"]))
    return str(screen.get("text") or ""), bool(screen.get("refused")), bool(screen.get("menu"))


def _in_process_step(base: str, number: str, text: str, reply: bool) -> tuple[str, bool, bool]:
    shown = _post(f"{base}/sim/ussd", {"from": number, "text": text, "reply": reply})
    return str(shown["answer"]), bool(shown.get("refused")), bool(shown["menu"])


def run(args: argparse.Namespace, *, service: str, out: Any = sys.stdout) -> int:
    """``service``: the in-process demo's address (``http://HOST:PORT`` of the settings)."""
    base = (args.url or (service if args.in_process else CONSOLE)).rstrip("/")
    step = _in_process_step if args.in_process else _netsim_step
    steps = [(args.text, False)] + [(reply, True) for reply in args.replies]
    for text, reply in steps:
        try:
            shown, refused, menu = step(base, args.number, text, reply)
        except Refused as exc:
            sys.stderr.write(f"fleetpbx: {exc}\n")
            return 1
        except NoDemo as exc:
            sys.stderr.write(f"fleetpbx: no demo at {base} ({exc}); start it with: fleetpbx demo\n")
            return 2
        out.write(shown + "\n")
        out.flush()
        if refused:
            return 3  # the service refused the code: what it said is printed above
        if not menu:
            break
    return 0
