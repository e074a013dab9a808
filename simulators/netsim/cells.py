"""The cells netsim's handsets are on, as their P-Access-Network-Info names them (TS 24.229
§7.2A.4): in their requests (the originating INVITE, INFO keys) and, as a terminating UE, in
their 18x and 2xx (§5.1.4). At home a cell of MCC 208; abroad one of the visited country's
mobile country code (``country``: ES → 214), of Spain's when none is named."""

from __future__ import annotations

from fleet.core.countries import mcc_of
from simulators.netsim.handset import Handset, HandsetState

HEADER = "P-Access-Network-Info"
HOME_CELL = "2080100011234567"  # MCC 208 MNC 01, TAC 0001, ECI 1234567
ABROAD_CELL = "2140100011234567"  # MCC 214 (Spain)
WHITE_ZONE_CELL = "20801000f0000001"  # TAC 000f: FleetPBX's sip_white_zone_cells "20801000f"


def cell_of(handset: Handset) -> str:
    if handset.state is HandsetState.WHITE_ZONE:
        return WHITE_ZONE_CELL
    if handset.state is not HandsetState.ABROAD:
        return HOME_CELL
    mcc = mcc_of(handset.country) if handset.country is not None else None
    return f"{mcc}{ABROAD_CELL[3:]}" if mcc else ABROAD_CELL


def access_network_info(handset: Handset) -> str:
    """The handset's P-Access-Network-Info: the cell it is on."""
    return f"3GPP-E-UTRAN-FDD; utran-cell-id-3gpp={cell_of(handset)}"
