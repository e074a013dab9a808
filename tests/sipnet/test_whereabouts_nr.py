"""5G NR cells and the other 3GPP radios in P-Access-Network-Info (3GPP TS 24.229 §7.2A.4:
``3GPP-NR-FDD``/``-TDD``, ``3GPP-NR-U-FDD``/``-TDD`` name their cell by ``utran-cell-id-3gpp``
= MCC, MNC, TAC of 6 hex digits, NR cell identity of 9), white-zone cells for one radio, and
where the handset is taken from the re-INVITEs and UPDATEs of its dialog."""

from __future__ import annotations

import pytest

from fleet.config import ConfigError, load_settings
from fleet.core.calls.events import Announcement
from fleet.core.calls.incall import Location
from fleet.sip.dialog import Dialog
from fleet.sipnet.cells import Cell, Radio, cell
from fleet.sipnet.whereabouts import Whereabouts, cell_of
from tests.sipnet.incall_support import B_OFFER, SDP, Scene, held_and_second_call
from tests.sipnet.test_whereabouts import Logged, refer_from, refused_and_unchanged, request

NR_HOME = "2080100a1b2c3d4e5f60"  # 208 01, TAC 00a1b2, NCI c3d4e5f60
NR_SPAIN = "2140700a1b2c3d4e5f60"
LTE_HOME = "2080100a1b2c3d4e"  # the same first digits, an E-UTRAN cell (TAC 00a1, ECI b2c3d4e)


@pytest.mark.parametrize(
    ("access_type", "parameter", "value", "found"),
    [
        ("3GPP-NR-FDD", "utran-cell-id-3gpp", NR_HOME, Cell(Radio.NR, NR_HOME)),
        ("3gpp-nr-tdd", "utran-cell-id-3gpp", NR_SPAIN.upper(), Cell(Radio.NR, NR_SPAIN)),
        (
            "3GPP-NR-TDD",
            "utran-cell-id-3gpp",
            "208015" + "0" * 15,
            Cell(Radio.NR, "208015" + "0" * 15),
        ),
        ("3GPP-NR-U-FDD", "utran-cell-id-3gpp", NR_HOME, Cell(Radio.NR, NR_HOME)),
        ("3GPP-NR-U-TDD", "utran-cell-id-3gpp", NR_HOME, Cell(Radio.NR, NR_HOME)),
        ("3GPP-NR-FDD", "utran-cell-id-3gpp", LTE_HOME, None),  # an E-UTRAN id's length
        ("3GPP-NR-FDD", "cgi-3gpp", NR_HOME, None),  # GERAN's parameter
        ("3GPP-E-UTRAN-TDD", "utran-cell-id-3gpp", LTE_HOME, Cell(Radio.E_UTRAN, LTE_HOME)),
        (
            "3GPP-E-UTRAN-FDD",
            "utran-cell-id-3gpp",
            "2080100a1b2c3d4e5",
            Cell(Radio.E_UTRAN, "2080100a1b2c3d4e5"),
        ),  # MNC 3
        (
            "3GPP-E-UTRAN-FDD",
            "utran-cell-id-3gpp",
            "208010a1b2c3c3d4e5",
            Cell(Radio.E_UTRAN, "208010a1b2c3c3d4e5"),
        ),  # 5GC TAC
        ("3GPP-E-UTRAN-FDD", "utran-cell-id-3gpp", NR_HOME, None),
        ("3GPP-GERAN", "utran-cell-id-3gpp", "2140712340567", None),
        ("3GPP2-1X", "utran-cell-id-3gpp", LTE_HOME, None),  # CDMA2000: no 3GPP cell
        ("IEEE-802.11", "utran-cell-id-3gpp", LTE_HOME, None),
        ("3GPP-XYZ", "utran-cell-id-3gpp", LTE_HOME, Cell(None, LTE_HOME)),  # radio unknown
    ],
)
def test_each_3gpp_radio_names_its_cell_by_its_parameter_and_shape(
    access_type: str, parameter: str, value: str, found: Cell | None
) -> None:
    assert cell(access_type, parameter, value) == found


def test_a_5g_nr_cell_is_read_from_the_header_network_provided_first() -> None:
    got = request(
        f"3GPP-E-UTRAN-FDD; utran-cell-id-3gpp={LTE_HOME}",
        f"3GPP-NR-FDD; utran-cell-id-3gpp={NR_SPAIN}; network-provided",
    )
    assert cell_of(got) == Cell(Radio.NR, NR_SPAIN)
    assert Whereabouts().location(cell_of(got)) is Location.ABROAD


def test_a_white_zone_cell_may_be_of_one_radio_or_of_any() -> None:
    nr, lte = Cell(Radio.NR, NR_HOME), Cell(Radio.E_UTRAN, LTE_HOME)
    nr_only = Whereabouts(white_zone_cells=["NR:2080100A1B2"])
    assert nr_only.location(nr) is Location.WHITE_ZONE
    assert nr_only.location(lte) is Location.HOME, "an LTE cell of the same first digits"
    lte_only = Whereabouts(white_zone_cells=["e-utran:2080100a1b2"])
    assert (lte_only.location(nr), lte_only.location(lte)) == (Location.HOME, Location.WHITE_ZONE)
    anyone = Whereabouts(white_zone_cells=["2080100a1b2"])
    assert anyone.location(nr) is anyone.location(lte) is Location.WHITE_ZONE
    assert anyone.location(Cell(None, LTE_HOME)) is Location.WHITE_ZONE
    assert nr_only.location(Cell(None, NR_HOME)) is Location.HOME
    with pytest.raises(ValueError, match="nr:"):
        Whereabouts(white_zone_cells=["lte:20801"])


def test_settings_name_white_zone_cells_of_one_radio() -> None:
    settings = load_settings(cli={"sip_white_zone_cells": "NR:2080100A1B2, 20802"}, env={})
    assert settings.sip_white_zone_cells == ("nr:2080100a1b2", "20802")
    Whereabouts(white_zone_cells=settings.sip_white_zone_cells)
    for wrong in ("5g:20801", "nr:", "nr:2080x", "nr;20801"):
        with pytest.raises(ConfigError, match="radio"):
            load_settings(cli={"sip_white_zone_cells": wrong}, env={})


def update_from(scene: Scene, dialog: Dialog, access: str) -> None:
    c = scene.c
    c.scscf.request_in(
        dialog,
        "UPDATE",
        body=B_OFFER,
        content_type=SDP,
        headers=[("P-Access-Network-Info", f"{access}; network-provided")],
    )
    c.advance(1.0)
    assert scene.responses(c.to_scscf, "200", "UPDATE") >= 1, "relayed and answered"


def test_an_update_from_a_5g_cell_abroad_makes_a_later_transfer_by_keys_refused() -> None:
    scene = held_and_second_call()
    logged = Logged()
    scene.c.network.log = scene.c.network.spoken.log = logged
    update_from(scene, scene.b_active, f"3GPP-NR-FDD; utran-cell-id-3gpp={NR_SPAIN}")
    scene.info(scene.b_active, "#")  # no header: the UPDATE's cell is the latest
    scene.info(scene.b_active, "1")
    scene.c.advance(1.0)
    assert logged.announced() == [Announcement.TRANSFER_REFUSED_ABROAD.value]
    assert scene.c.engine.active_calls == 2 and not scene.reinvites_to(scene.c.to_handsets)


def test_a_refer_after_an_update_from_a_white_zone_nr_cell_is_refused() -> None:
    scene = held_and_second_call()
    logged = Logged()
    scene.c.network.log = scene.c.network.spoken.log = logged
    scene.c.network.keys.whereabouts = Whereabouts(white_zone_cells=["nr:2080100a"])
    update_from(scene, scene.b_active, f"3GPP-NR-TDD; utran-cell-id-3gpp={NR_HOME}")
    refer_from(scene, None)
    scene.c.advance(1.0)
    refused_and_unchanged(scene, logged, Announcement.TRANSFER_REFUSED_WHITE_ZONE)


def test_the_newest_cell_of_the_dialog_counts_back_home_the_transfer_goes_on() -> None:
    scene = held_and_second_call()
    update_from(scene, scene.b_active, f"3GPP-NR-FDD; utran-cell-id-3gpp={NR_SPAIN}")
    update_from(scene, scene.b_active, f"3GPP-E-UTRAN-FDD; utran-cell-id-3gpp={LTE_HOME}")
    refer_from(scene, None)
    scene.c.advance(2.0)
    assert scene.responses(scene.c.to_scscf, "202", "REFER") == 1
    assert scene.c.engine.active_calls == 1
