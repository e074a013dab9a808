"""The cell a netsim handset names in its P-Access-Network-Info: at home MCC 208, in the
white zone the configured test cell, abroad the visited country's mobile country code (Spain's
when no country is named), as FleetPBX reads them back (``fleet.sipnet.whereabouts``)."""

from __future__ import annotations

import pytest

from fleet.core.countries import Country
from fleet.core.numbering import E164
from fleet.core.roaming import AT_HOME, LineLocation
from fleet.sip.message import Request
from fleet.sipnet.whereabouts import Whereabouts, cell_of
from simulators.netsim.cells import HEADER, access_network_info
from simulators.netsim.handset import Directory, Handset, HandsetKind, HandsetState


def read_back(handset: Handset) -> LineLocation:
    request = Request("INFO", "sip:fleetpbx.example.net")
    request.headers.add(HEADER, access_network_info(handset))
    named = cell_of(request)
    assert named is not None
    return Whereabouts().line_location(named)


@pytest.mark.parametrize(
    ("state", "country", "seen"),
    [
        (HandsetState.ON, None, AT_HOME),
        (HandsetState.WHITE_ZONE, None, AT_HOME),
        (HandsetState.ABROAD, None, LineLocation.abroad(Country("ES"))),
        (HandsetState.ABROAD, Country("DE"), LineLocation.abroad(Country("DE"))),
        (HandsetState.ABROAD, Country("BE"), LineLocation.abroad(Country("BE"))),
    ],
)
def test_a_handset_names_the_cell_of_where_it_is(
    state: HandsetState, country: Country | None, seen: LineLocation
) -> None:
    handset = Handset(
        E164("+33611000001"), Directory(HandsetKind.LINE, "Salarié 1"), state, country=country
    )
    assert read_back(handset) == seen
