"""Running SIPp (Debian's ``sip-tester``) non-interactively against a local port: one scenario
of ``tests/sipp/``, a number of calls, its statistics read back from the CSV it dumps.

Without ``sipp`` the tests skip, or fail under ``FLEETPBX_REQUIRE_TOOLS=1`` (``.ci/run``
installs it)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_TOOLS = "FLEETPBX_REQUIRE_TOOLS"
MISSING = "sipp not installed (apt-get install sip-tester)"
SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
RUN_TIMEOUT = 60.0  # SIPp's own -timeout (30 s) ends it first; this only guards a hang


def _unable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_TOOLS) == "1":
        pytest.fail(f"{reason}; {REQUIRE_TOOLS}=1 requires it")
    pytest.skip(reason)


def sipp_binary() -> str:
    """The ``sipp`` binary; fails under ``FLEETPBX_REQUIRE_TOOLS=1``, skips otherwise."""
    binary = shutil.which("sipp")
    if binary is None:
        _unable(MISSING)
    return binary


@dataclass(frozen=True)
class SippRun:
    """One SIPp run: its exit code (0: every call successful), the cumulative counts of its
    last statistics line, and its logs (unexpected messages, errors) for failure messages."""

    exit_code: int
    successful: int
    failed: int
    created: int
    logs: str

    def explain(self) -> str:
        return (
            f"sipp exit {self.exit_code}: {self.successful} successful, {self.failed} failed,"
            f" {self.created} created\n{self.logs}"
        )


def _last_stats(path: Path) -> dict[str, str]:
    with path.open(newline="") as stats:
        rows = list(csv.reader(stats, delimiter=";"))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


def _count(stats: dict[str, str], name: str) -> int:
    value = stats.get(name, "").strip()
    return int(value) if value.isdigit() else -1


async def run_sipp(
    binary: str,
    scenario: str,
    port: int,
    workdir: Path,
    *,
    calls: int = 1,
    rate: int = 10,
    limit: int = 5,
    service: str = "fleetpbx",
    extra: tuple[str, ...] = (),
) -> SippRun:
    """Run ``tests/sipp/<scenario>.xml`` as UAC towards 127.0.0.1:``port`` for ``calls`` calls
    (``rate`` a second, at most ``limit`` at once) and wait for it to finish."""
    stats = workdir / f"{scenario}_stats.csv"
    errors = workdir / f"{scenario}_errors.log"
    messages = workdir / f"{scenario}_messages.log"
    process = await asyncio.create_subprocess_exec(
        binary,
        f"127.0.0.1:{port}",
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-i",
        "127.0.0.1",
        "-s",
        service,
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-l",
        str(limit),
        "-timeout",
        "30s",
        "-timeout_error",
        "-nostdin",
        "-trace_stat",
        "-stf",
        str(stats),
        "-trace_err",
        "-error_file",
        str(errors),
        "-trace_msg",
        "-message_file",
        str(messages),
        *extra,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    counts = _last_stats(stats) if stats.exists() else {}
    logs = [stderr.decode(errors="replace")]
    for log in (errors, messages):
        if log.exists():
            logs.append(f"--- {log.name}\n{log.read_text(errors='replace')[-6000:]}")
    return SippRun(
        exit_code=process.returncode if process.returncode is not None else -1,
        successful=_count(counts, "SuccessfulCall(C)"),
        failed=_count(counts, "FailedCall(C)"),
        created=_count(counts, "TotalCallCreated"),
        logs="\n".join(logs),
    )
