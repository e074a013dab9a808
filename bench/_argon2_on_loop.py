"""``fleetpbx`` with argon2 back on the event loop, as the service verified passwords before
issue 10: ``login_storm --on-loop`` runs the service through this script to measure, in the
same run, what the password pool's worker thread spares the loop. Only the pool's hand-off is
bypassed (``PasswordPool._run`` calls the work inline instead of on its thread); everything
else — the login guard, the admission bound of ``login_workers + login_queue`` sign-ins at
once — is the service as it is. Never for production: a benchmark's counterfactual.

    python bench/_argon2_on_loop.py serve --host H --port P   (the arguments of ``fleetpbx``)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages first

from collections.abc import Callable
from typing import TypeVar

from fleet import cli
from fleet.services.passwords import PasswordPool

T = TypeVar("T")


async def _inline(_pool: PasswordPool, work: Callable[..., T], *args: str | None) -> T:
    return work(*args)  # on the event loop's thread: everything else waits meanwhile


if __name__ == "__main__":
    PasswordPool._run = _inline  # type: ignore[method-assign, assignment]
    sys.exit(cli.main())
