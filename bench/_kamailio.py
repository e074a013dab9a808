"""A Kamailio process of a bench: started in the foreground with its output in a log, checked
alive once it has had time to parse its configuration and bind, stopped with SIGTERM (then
SIGKILL when it does not end in time). ``_sip_load.Kamailio`` (the relay anchor) and
``_cluster_procs.Kamailio`` (the dispatcher in front of FleetPBX processes) run one each."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class KamailioProcess:
    def __init__(self, command: Sequence[str], *, log: Path, settle: float, grace: float) -> None:
        """Run ``command``, its output to ``log``; ``settle``: seconds it is given to start;
        ``grace``: seconds :meth:`stop` waits after SIGTERM."""
        self.log = log
        self._grace = grace
        with log.open("wb") as sink:
            self._process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        time.sleep(settle)  # let it parse its configuration and bind
        if self._process.poll() is not None:
            raise RuntimeError(f"kamailio did not start: {log.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(self._grace)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
