"""Where a handset is, for the in-call services DESIGN §4 refuses abroad and in a white zone,
read from P-Access-Network-Info (3GPP TS 24.229 §7.2A.4, RFC 7315): ``access-type *(";"
access-info)``, several values by commas or lines, e.g.
``3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=208011234ABCDEF01; network-provided``.

The cell is the ``utran-cell-id-3gpp`` (UTRAN, E-UTRAN: MCC, MNC, LAC or TAC, cell id) or the
``cgi-3gpp`` (GERAN: MCC, MNC, LAC, CI) of the value the network provided (``network-provided``,
added by the P-CSCF: the handset's own value could be anything) if there is one, else of the
first value naming a cell. Its first three digits are the mobile country code:

- another country's code than ``home_mcc`` (setting ``sip_home_mcc``, 208 for France) →
  :attr:`Location.ABROAD`;
- a cell id starting with one of ``white_zone_cells`` (setting ``sip_white_zone_cells``, hex
  digits compared without case; none by default: SIP says nothing else of a white zone) →
  :attr:`Location.WHITE_ZONE`;
- otherwise, and when no cell is given (no header, a non-3GPP access such as ``IEEE-802.11``,
  an unreadable value) → :attr:`Location.HOME`, as on the simulated network.

:class:`Whereabouts` also remembers the last cell each dialog's requests told (a REFER after an
INFO, a REFER without the header)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fleet.core.calls.incall import Location
from fleet.sip.dialog import DialogId
from fleet.sip.errors import SipParseError
from fleet.sip.message import Request
from fleet.sip.values import split_list

HEADER = "P-Access-Network-Info"
CELL_PARAMETERS = ("utran-cell-id-3gpp", "cgi-3gpp")
NETWORK_PROVIDED = "network-provided"
MCC = re.compile(r"^[0-9]{3}$")
CELL = re.compile(r"^[0-9]{5,6}[0-9A-Fa-f]+$")  # MCC, MNC (2 or 3 digits), area and cell
HOME_MCC = "208"


def _parameters(value: str) -> tuple[str | None, bool]:
    """One access-net-spec's cell id (or None) and whether the network provided it."""
    cell, provided = None, False
    for part in value.split(";")[1:]:
        name, _, raw = part.partition("=")
        name = name.strip().lower()
        if name == NETWORK_PROVIDED:
            provided = True
        elif name in CELL_PARAMETERS and cell is None:
            text = raw.strip().strip('"')
            cell = text if CELL.match(text) else None
    return cell, provided


def cell_of(request: Request) -> str | None:
    """The cell ``request``'s P-Access-Network-Info names (the network's first), or None."""
    found: list[tuple[str, bool]] = []
    for line in request.headers.get_all(HEADER):
        try:
            values = split_list(line, HEADER)
        except SipParseError:
            continue
        for value in values:
            cell, provided = _parameters(value)
            if cell is not None:
                found.append((cell, provided))
    provided_cells = [cell for cell, provided in found if provided]
    if provided_cells:
        return provided_cells[0]
    return found[0][0] if found else None


def _white_cells(cells: Iterable[str]) -> tuple[str, ...]:
    out = []
    for cell in cells:
        text = cell.strip()
        if not text or not re.fullmatch(r"[0-9A-Fa-f]+", text):
            raise ValueError(f"white zone cell prefix {cell!r}: hex digits expected")
        out.append(text.lower())
    return tuple(out)


class Whereabouts:
    """Where the handset behind a dialog is, from the requests of that dialog."""

    def __init__(self, *, home_mcc: str = HOME_MCC, white_zone_cells: Iterable[str] = ()) -> None:
        if not MCC.match(home_mcc):
            raise ValueError(f"home mobile country code {home_mcc!r}: three digits expected")
        self.home_mcc = home_mcc
        self.white_zone_cells = _white_cells(white_zone_cells)
        self._cells: dict[DialogId, str] = {}

    def __len__(self) -> int:
        return len(self._cells)

    def location(self, cell: str | None) -> Location:
        if cell is None:
            return Location.HOME
        if cell[:3] != self.home_mcc:
            return Location.ABROAD
        if cell.lower().startswith(self.white_zone_cells):
            return Location.WHITE_ZONE
        return Location.HOME

    def of(self, dialog: DialogId, request: Request) -> Location:
        """Where ``request``'s handset is: its own header, else the last one of ``dialog``."""
        cell = cell_of(request)
        if cell is not None:
            self._cells[dialog] = cell
        return self.location(self._cells.get(dialog))

    def forget(self, dialog: DialogId) -> None:
        self._cells.pop(dialog, None)
