"""What login_storm prints: each phase as it ends, then the summary with the anchors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import _anchor
import _service
from _probes import Samples
from _report import out, percentile

TARGET_USSD_P99_MS = 30.0  # the ussd benchmark's target
STORMS = {
    "hammer": "20 clients, each sending its next sign-in as soon as it is answered",
    "polite": "the same clients obeying Retry-After",
}


@dataclass
class Phase:
    variant: str  # pool, loop
    storm: str  # "" (baseline), hammer, polite
    probes: list[Samples]  # USSD, /healthz, bare handler
    wall: float
    service_cpu: float
    machine: float | None  # busy CPU-s of the whole machine
    logins: dict[str, Any] | None = None  # what bench/_storm.py printed

    @property
    def name(self) -> str:
        return f"{self.variant}, {self.storm or 'baseline'}"


def report_phase(p: Phase, rate: float) -> None:
    storm = f" while {STORMS[p.storm]}" if p.storm else " (no storm)"
    out(f"-- {p.name}: {p.wall:.1f} s of probes, {rate:g}/s of each kind{storm}")
    for samples in p.probes:
        out(f"   {samples.line()}")
    cpus = os.cpu_count() or 1
    busy = f"; machine busy {p.machine / p.wall:.2f} of {cpus} CPUs" if p.machine else ""
    out(
        f"   service CPU {p.service_cpu:.1f} s ({p.service_cpu / p.wall:.0%} of one CPU, its "
        f"argon2 threads included){busy}; load average {_service.load_average()}"
    )
    if p.logins is not None:
        report_logins(p.logins)


def report_logins(logins: dict[str, Any]) -> None:
    wall, outcomes = logins["wall"], logins["outcomes"]
    attempts = sum(outcomes.values())
    verified = sum(n for k, n in outcomes.items() if k.endswith(("signed_in", "token", "wrong")))
    out(
        f"   logins: {attempts:,} attempts in {wall:.1f} s ({attempts / wall:,.1f}/s; "
        f"{logins['right_sent']:,} right passwords, {logins['wrong_sent']:,} wrong); "
        f"{verified} verified ({verified / wall:.1f}/s: signed in or password_wrong); "
        f"{logins['login_pages']} login pages fetched; clients waited "
        f"{logins['waited']:.0f} s in all on Retry-After; storm process CPU {logins['cpu']:.1f} s"
    )
    for kind in ("portal", "api"):
        shown = ", ".join(
            f"{k.split(' ', 1)[1]} ×{n:,}"
            for k, n in sorted(outcomes.items())
            if k.startswith(kind)
        )
        ms = sorted(logins["latencies"][kind])
        if ms:
            out(
                f"   {kind:<6} p50 {percentile(ms, 0.5):7.1f} ms  p99 {percentile(ms, 0.99):7.1f} "
                f"ms: {shown}"
            )


def report_summary(
    phases: list[Phase], anchor: _anchor.Anchor, argon2: tuple[float, float]
) -> None:
    out(
        f"anchors: A {anchor.ms:.2f} ms wall (mean of before and after); argon2 verification "
        f"{argon2[0]:.0f} ms wall, {argon2[1]:.0f} ms CPU (in the bench process, before); the "
        "bare aiohttp handler's p99 in the same phase"
    )
    out(
        f"{'phase':<16} {'USSD p50 / p99 ms':>19} {'= A':>7} {'/healthz p50 / p99':>19} "
        f"{'bare p50 / p99':>16} {'USSD p99 / bare p99':>20}"
    )
    for p in phases:
        ussd, health, bare = p.probes
        u99 = ussd.q(0.99)
        out(
            f"{p.name:<16} {ussd.q(0.5):8.2f} / {u99:8.2f} {anchor.ratio(u99):>7} "
            f"{health.q(0.5):8.2f} / {health.q(0.99):8.2f} "
            f"{bare.q(0.5):6.2f} / {bare.q(0.99):7.2f} {u99 / bare.q(0.99):>20.2f}"
        )
    by_name = {p.name: p for p in phases}
    for p in phases:
        calm = by_name.get(f"{p.variant}, baseline")
        if not p.storm or calm is None:
            continue
        growth = ", ".join(
            f"{b.name} ×{b.q(0.99) / c.q(0.99):.2f}"
            for c, b in zip(calm.probes, p.probes, strict=True)
        )
        out(
            f"{p.name}: p99 with the storm / without: {growth}; USSD p99 = "
            f"{p.probes[0].q(0.99) / argon2[0]:.2f} argon2 verifications"
        )
    for p in phases:
        if p.variant != "pool" or not p.storm:
            continue
        ussd, health = p.probes[0], p.probes[1]
        errors = sum(ussd.errors.values()) + sum(health.errors.values())
        met = ussd.q(0.99) < TARGET_USSD_P99_MS and errors == 0
        out(
            f"target ({p.name}): USSD p99 < {TARGET_USSD_P99_MS:g} ms (the ussd target) and "
            f"every USSD and /healthz probe answered right: {'met' if met else 'NOT met'} "
            f"(USSD p99 {ussd.q(0.99):.2f} ms, /healthz p99 {health.q(0.99):.2f} ms, "
            f"{errors} errors)"
        )
