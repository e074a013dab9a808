"""``fleetpbx`` with the garbage collector's passes written down: run as the service's entry
(``_service.serve_command(port, entry=...)``), it appends to the file named by
``SIP_SUSTAIN_GC_LOG`` one line per pass of generation 2, and per pass that stopped the
process for ``SLOW_MS`` or more, then runs the ``fleetpbx`` command with its arguments.

A line: ``<time.time()> <generation> <pause ms> <collected> <CPU ms> <objects>`` (the pause
in wall time, the pass's CPU time — its thread's — and for a full pass the objects it had to
traverse, counted before it); every ``EVERY`` seconds a line ``<time.time()> total <passes
gen0> <gen1> <gen2> <CPU ms gen0> <gen1> <gen2>`` (cumulative).
With ``SIP_SUSTAIN_GC_TYPES=N``, before each full pass a line ``# <time> <type>=<count>…``
of the ``N`` commonest types in the oldest generation (slow: for finding what grows). On
``SIGUSR1``, a line ``<time.time()> objects <tracked>``: the objects the collector tracks
(``gc.get_objects()``, the start-up heap frozen by ``fleet.heap`` left out), what
``sip_sustain --linger-wait`` reads before and after the 32 s timers of a run's calls.
Not a part of the service: a bench's probe (``sip_sustain --gc-probe``)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLOW_MS = 5.0
TYPES = int(os.environ.get("SIP_SUSTAIN_GC_TYPES", "0"))  # the commonest types, full passes
EVERY = 0.5


class Probe:
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", buffering=1)
        self._started = self._cpu = 0.0
        self._objects = 0
        self.passes = [0, 0, 0]
        self.ms = [0.0, 0.0, 0.0]
        self._lock = threading.Lock()

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            if info["generation"] == 2:  # counted outside the timed pass
                self._objects = sum(len(gc.get_objects(g)) for g in range(3))
                if TYPES:
                    kinds = Counter(type(o).__qualname__ for o in gc.get_objects(2))
                    top = " ".join(f"{k}={n}" for k, n in kinds.most_common(TYPES))
                    with self._lock:
                        self._file.write(f"# {time.time():.3f} {top}\n")
            self._started, self._cpu = time.perf_counter(), time.thread_time()
            return
        pause = (time.perf_counter() - self._started) * 1e3
        cpu = (time.thread_time() - self._cpu) * 1e3
        generation = info["generation"]
        self.passes[generation] += 1
        self.ms[generation] += cpu
        if generation == 2 or pause >= SLOW_MS:
            with self._lock:
                self._file.write(
                    f"{time.time():.3f} {generation} {pause:.2f} {info['collected']} {cpu:.2f} "
                    f"{self._objects if generation == 2 else 0}\n"
                )

    def totals(self) -> None:
        while True:
            time.sleep(EVERY)
            passes, ms = list(self.passes), list(self.ms)
            with self._lock:
                self._file.write(
                    f"{time.time():.3f} total {' '.join(map(str, passes))} "
                    f"{' '.join(f'{m:.2f}' for m in ms)}\n"
                )

    def count(self, _signal: int, _frame: object) -> None:
        tracked = len(gc.get_objects())
        with self._lock:
            self._file.write(f"{time.time():.3f} objects {tracked}\n")


def main() -> None:
    probe = Probe(Path(os.environ["SIP_SUSTAIN_GC_LOG"]))
    signal.signal(signal.SIGUSR1, probe.count)
    gc.callbacks.append(probe)
    threading.Thread(target=probe.totals, daemon=True).start()
    from fleet.cli import main as fleetpbx

    sys.exit(fleetpbx())


if __name__ == "__main__":
    main()
