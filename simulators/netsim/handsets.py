"""The fleets as netsim sees them, and its handsets.

:class:`FleetView` reads every fleet from the database (through the services, as FleetPBX's
routing cache does) and answers the S-CSCF's filter criteria: whose calls FleetPBX serves as
originating (a fleet's mobile lines) and as terminating (lines and call groups' numbers).
:class:`Handsets` holds one small :class:`Handset` per fleet line and fixed number, kept in
step with each reload (a number that left the fleets becomes an outside handset, its state and
behaviour kept), and one per outside number created on first use."""

from __future__ import annotations

from collections.abc import Iterator

from fleet.core.calls.ports import GroupTarget, LineTarget
from fleet.core.directory import RoutingTable
from fleet.core.model import CallGroup, FixedNumber
from fleet.core.numbering import E164
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from simulators.netsim.handset import Behaviour, Directory, Handset, HandsetKind

OUTSIDE = Directory(kind=HandsetKind.OUTSIDE, name="")


class FleetView:
    """A snapshot of the fleets (a routing table read at once)."""

    def __init__(self, table: RoutingTable) -> None:
        self._table = table

    @classmethod
    async def load(cls, services: Services) -> FleetView:
        directory = CachedDirectory(services=services)
        await directory.load_all()
        return cls(directory)

    def originating(self, number: E164) -> bool:
        """FleetPBX serves this number's outgoing calls (a fleet's mobile line)."""
        return self._table.by_msisdn(number) is not None

    def terminating(self, number: E164) -> bool:
        """FleetPBX serves calls to this number (a line, a call group's number)."""
        return isinstance(self._table.resolve(number), LineTarget | GroupTarget)

    def fixed(self) -> list[FixedNumber]:
        """The fleets' fixed numbers (each names its trunk: the desks of the PBXs)."""
        return self._table.all_fixed()

    def groups(self) -> list[CallGroup]:
        """The fleets' call groups (what netsim's load calls)."""
        return self._table.all_groups()

    def entries(self) -> Iterator[tuple[E164, Directory]]:
        for services in self._table.all_lines():
            line = services.line
            yield (
                line.msisdn,
                Directory(
                    kind=HandsetKind.LINE,
                    name=line.employee_name,
                    fleet_id=line.fleet_id,
                    short_number=line.short_number,
                ),
            )
        for fixed in self._table.all_fixed():
            yield (
                fixed.number,
                Directory(
                    kind=HandsetKind.FIXED,
                    name=fixed.label,
                    fleet_id=fixed.fleet_id,
                    short_number=fixed.short_number,
                ),
            )


class Handsets:
    def __init__(self, *, behaviour: Behaviour) -> None:
        self.default_behaviour = behaviour
        self.by_number: dict[str, Handset] = {}

    def __len__(self) -> int:
        return len(self.by_number)

    def get(self, number: E164) -> Handset | None:
        return self.by_number.get(number.value)

    def of(self, number: E164) -> Handset:
        """The number's handset, an outside one created on first use."""
        found = self.by_number.get(number.value)
        if found is None:
            found = self.by_number[number.value] = Handset(
                number, OUTSIDE, behaviour=self.default_behaviour
            )
        return found

    def sync(self, view: FleetView) -> tuple[int, int]:
        """Follow the fleets: a handset per line and fixed number; returns (added, left)."""
        seen: set[str] = set()
        added = 0
        for number, info in view.entries():
            seen.add(number.value)
            handset = self.by_number.get(number.value)
            if handset is None:
                self.by_number[number.value] = Handset(
                    number, info, behaviour=self.default_behaviour
                )
                added += 1
            elif handset.info != info:
                handset.info = info
        left = 0
        for key, handset in self.by_number.items():
            if key not in seen and handset.kind is not HandsetKind.OUTSIDE:
                handset.info = OUTSIDE
                left += 1
        return added, left
