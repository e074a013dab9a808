"""Where a handset is, for the in-call services DESIGN §4 refuses abroad and in a white zone,
read from P-Access-Network-Info (3GPP TS 24.229 §7.2A.4, RFC 7315): ``access-type *(";"
access-info)``, several values by commas or lines, e.g.
``3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=208011234ABCDEF01; network-provided``.

The cell (:mod:`.cells`: GERAN's ``cgi-3gpp``, UTRAN's, E-UTRAN's and 5G NR's
``utran-cell-id-3gpp``, each of its radio's shape) is the one of the value the network provided
(``network-provided``, added by the P-CSCF: the handset's own value could be anything) if there
is one, else of the first value naming a cell. Its first three digits are the mobile country
code:

- another country's code than ``home_mcc`` (setting ``sip_home_mcc``, 208 for France) →
  :attr:`Location.ABROAD` (another code of no other country than ``home_mcc``'s is home:
  :meth:`Whereabouts.line_location`, which also names the visited country);
- a cell one of ``white_zone_cells`` covers (setting ``sip_white_zone_cells``: cell-id
  prefixes in hex digits, compared without case, each for any radio or, written
  ``nr:20801…``, for one; none by default: SIP says nothing else of a white zone) →
  :attr:`Location.WHITE_ZONE`;
- otherwise, and when no cell is given (no header, a non-3GPP access such as ``IEEE-802.11``,
  an unreadable value) → :attr:`Location.HOME`, as on the simulated network.

:class:`Whereabouts` remembers the last cell each dialog's requests told — a REFER or INFO, and
the re-INVITEs and UPDATEs relayed from that side (:meth:`Whereabouts.note`) — so that each
in-call decision (a transfer asked later, without the header) takes where the handset was
last seen."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fleet.core.calls.incall import Location
from fleet.core.countries import countries_of_mcc
from fleet.core.roaming import AT_HOME, LineLocation
from fleet.sip.dialog import DialogId
from fleet.sip.errors import SipParseError
from fleet.sip.message import Message, Request
from fleet.sip.values import split_list
from fleet.sipnet.cells import CELL_PARAMETERS, Cell, cell, white_zone

HEADER = "P-Access-Network-Info"
NETWORK_PROVIDED = "network-provided"
MCC = re.compile(r"^[0-9]{3}$")
HOME_MCC = "208"


def _parameters(value: str) -> tuple[Cell | None, bool]:
    """One access-net-spec's cell (or None) and whether the network provided it."""
    access_type, *parts = value.split(";")
    found, provided = None, False
    for part in parts:
        name, _, raw = part.partition("=")
        name = name.strip().lower()
        if name == NETWORK_PROVIDED:
            provided = True
        elif name in CELL_PARAMETERS and found is None:
            found = cell(access_type, name, raw)
    return found, provided


def cell_of(request: Message) -> Cell | None:
    """The cell ``request``'s (or a response's) P-Access-Network-Info names (the network's
    first), or None."""
    found: list[tuple[Cell, bool]] = []
    for line in request.headers.get_all(HEADER):
        try:
            values = split_list(line, HEADER)
        except SipParseError:
            continue
        for value in values:
            named, provided = _parameters(value)
            if named is not None:
                found.append((named, provided))
    provided_cells = [named for named, provided in found if provided]
    if provided_cells:
        return provided_cells[0]
    return found[0][0] if found else None


class Whereabouts:
    """Where the handset behind a dialog is, from the requests of that dialog."""

    def __init__(self, *, home_mcc: str = HOME_MCC, white_zone_cells: Iterable[str] = ()) -> None:
        if not MCC.match(home_mcc):
            raise ValueError(f"home mobile country code {home_mcc!r}: three digits expected")
        self.home_mcc = home_mcc
        self.white_zone_cells = white_zone(white_zone_cells)
        self._cells: dict[DialogId, Cell] = {}

    def __len__(self) -> int:
        return len(self._cells)

    def location(self, where: Cell | None) -> Location:
        if where is None:
            return Location.HOME
        if self.line_location(where).roaming:  # another country's code
            return Location.ABROAD
        if any(zone.covers(where) for zone in self.white_zone_cells):
            return Location.WHITE_ZONE
        return Location.HOME

    def line_location(self, where: Cell) -> LineLocation:
        """Where a line whose handset is on cell ``where`` is, for the barring programs: at
        home on a cell of ``home_mcc`` (or of another code of no other country than it has),
        else abroad in the country or countries its mobile country code is allocated to
        (none known: an unallocated code)."""
        if where.mcc == self.home_mcc:
            return AT_HOME
        visited = countries_of_mcc(where.mcc)
        if visited and set(visited) <= set(countries_of_mcc(self.home_mcc)):
            return AT_HOME
        return LineLocation.abroad(*visited)

    def note(self, dialog: DialogId, request: Request) -> None:
        """Keep the cell ``request`` (any request of ``dialog``'s side: re-INVITE, UPDATE,
        INFO, REFER) names, if it names one, as where that handset is now."""
        named = cell_of(request)
        if named is not None:
            self._cells[dialog] = named

    def of(self, dialog: DialogId, request: Request) -> Location:
        """Where ``request``'s handset is: its own header, else the last one of ``dialog``."""
        self.note(dialog, request)
        return self.location(self._cells.get(dialog))

    def forget(self, dialog: DialogId) -> None:
        self._cells.pop(dialog, None)
