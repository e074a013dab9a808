"""``fleetpbx netsim --load``'s options (the traffic model's): apart from the load's runner,
so that building the ``fleetpbx`` command's parser does not import netsim (``fleetpbx serve``
runs without it)."""

from __future__ import annotations

import argparse

from simulators.netsim.load_model import TrafficModel


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load (a busy-hour traffic model, then exit)")
    group.add_argument(
        "--load", action="store_true", help="place the traffic model's calls, then exit"
    )
    defaults = TrafficModel()
    for flag, name, kind, text in (
        ("--load-calls", "calls_per_line_hour", float, "calls per line per hour"),
        ("--load-holding", "holding_seconds", float, "mean holding time, s (exponential)"),
        ("--load-group-share", "group_share", float, "share of calls to call groups"),
        ("--load-outside-share", "outside_share", float, "share of calls to outside numbers"),
        ("--load-feature-share", "feature_code_share", float, "share of feature codes"),
        ("--load-duration", "duration", float, "seconds of traffic time placed"),
        ("--load-compression", "compression", float, "×N: traffic time played N times faster"),
        ("--load-seed", "seed", int, "the random draws' seed"),
    ):
        default = getattr(defaults, name)
        group.add_argument(
            flag, dest=f"load_{name}", type=kind, default=default, help=f"{text} ({default})"
        )
    group.add_argument(
        "--load-summary", metavar="PATH", help="write the run's summary there (JSON)"
    )
