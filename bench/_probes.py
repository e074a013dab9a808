"""login_storm's probes: USSD interrogations through the SMSC simulator and GETs of a URL,
offered at a steady rate (``_paced``: open loop, latency from each one's due time, so a
stalled service shows in full), each answer checked."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import _paced
import aiohttp
from _paced import Paced
from _report import percentile

from simulators.smsc import SmscSimulator, UssdRejected

MAX_IN_FLIGHT = 1_000  # probes of one kind open at once at most (the driver waits beyond)
MAX_LAG = 30.0  # s behind the schedule at which the driver gives up
Check = Callable[[int, str], str | None]  # (status, body) -> the error label, or None


@dataclass
class Samples:
    name: str
    ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    paced: Paced | None = None

    def q(self, fraction: float) -> float:
        return percentile(sorted(self.ms), fraction)

    def line(self) -> str:
        ordered = sorted(self.ms)
        errors = sum(self.errors.values())
        shown = ", ".join(f"{label} ×{n}" for label, n in self.errors.most_common(3))
        text = (
            f"{self.name:<13} {len(ordered):>5}  p50 {percentile(ordered, 0.50):8.2f}  "
            f"p95 {percentile(ordered, 0.95):8.2f}  p99 {percentile(ordered, 0.99):8.2f}  "
            f"max {ordered[-1]:8.2f}  errors {errors}" + (f" ({shown})" if shown else "")
        )
        if self.paced is not None and self.paced.shortfall:
            text += f"; {self.paced.shortfall} not offered (the service could not keep up)"
        return text


def healthz_check(status: int, body: str) -> str | None:
    """/healthz: a 200 saying "ok"."""
    try:
        said = json.loads(body).get("status")
    except (ValueError, AttributeError):
        said = "not JSON"
    return None if status == 200 and said == "ok" else f"{status} {said}"


def bare_check(status: int, body: str) -> str | None:
    return None if status == 200 and body == "ok" else f"{status}"


async def ussd(
    smsc: SmscSimulator,
    handsets: Sequence[str],
    dialled: str,
    valid: re.Pattern[str],
    count: int,
    rate: float,
) -> Samples:
    """``count`` USSD strings ``dialled``, from the handsets in turn (never two at once from
    one handset), each answer matched against ``valid``."""
    loop = asyncio.get_running_loop()
    samples = Samples(f"USSD {dialled}")
    msisdns = [handsets[i % len(handsets)] for i in range(count)]

    async def dial(msisdn: str, due: float) -> None:
        try:
            answer = await smsc.ussd(msisdn, dialled)
        except (TimeoutError, UssdRejected, ConnectionError) as error:
            samples.errors[type(error).__name__] += 1
        else:
            if not valid.fullmatch(answer):
                samples.errors[f"answer {answer[:40]!r}"] += 1
        samples.ms.append((loop.time() - due) * 1e3)

    samples.paced = await _paced.run_paced(
        msisdns, rate, dial, key=lambda m: m, max_in_flight=MAX_IN_FLIGHT, max_lag=MAX_LAG
    )
    return samples


async def http(
    session: aiohttp.ClientSession, name: str, url: str, check: Check, count: int, rate: float
) -> Samples:
    """``count`` GETs of ``url``, each answer checked with ``check``."""
    loop = asyncio.get_running_loop()
    samples = Samples(name)

    async def get(_index: int, due: float) -> None:
        try:
            async with session.get(url) as response:
                body = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            samples.errors[type(error).__name__] += 1
        else:
            if (error_label := check(response.status, body)) is not None:
                samples.errors[error_label] += 1
        samples.ms.append((loop.time() - due) * 1e3)

    samples.paced = await _paced.run_paced(
        range(count), rate, get, key=lambda i: i, max_in_flight=MAX_IN_FLIGHT, max_lag=MAX_LAG
    )
    return samples
