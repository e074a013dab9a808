"""What feature codes read to answer: the same in-memory view of the configuration that
routes calls (``fleet.services.directory.CachedDirectory``), kept current by every
committed change. Interrogations are answered from it without a database round trip;
changes go through the services."""

from __future__ import annotations

from typing import Protocol

from fleet.core import model
from fleet.core.numbering import E164


class ConfigView(Protocol):
    @property
    def loaded(self) -> bool:
        """False until the view has been filled (the database may not answer at start)."""
        ...

    def by_msisdn(self, number: E164) -> model.LineServices | None: ...

    def group(self, group_id: int) -> model.CallGroup | None: ...

    def groups_of_line(self, fleet_id: int, line_id: int) -> list[model.CallGroup]: ...

    def group_in_fleet(self, fleet_id: int, dialled: str) -> model.CallGroup | None: ...
