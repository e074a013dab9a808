"""Where the handset is (DESIGN §4: no transfer abroad or in a white zone) through FleetPBX on
SIP, in virtual time: read from P-Access-Network-Info (:mod:`fleet.sipnet.whereabouts`) of
the REFER or INFO, else of the dialog's earlier requests."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from fleet.app_sip import build_sip_stack, sip_side
from fleet.config import ConfigError, load_settings
from fleet.core.calls.events import Announcement
from fleet.core.calls.incall import Location
from fleet.sip.message import Request, parse_message
from fleet.sipnet.cells import Cell, Radio
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.whereabouts import Whereabouts, cell_of
from tests.sipnet.incall_support import C, Scene, ended, held_and_second_call
from tests.sipnet.support import HANDSETS, core

HOME_CELL = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=2080100a1b2c3d4e"
SPAIN = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=2140700a1b2c3d4e"
WHITE_ZONE = "2080100a1"


def LTE(cell_id: str) -> Cell:
    return Cell(Radio.E_UTRAN, cell_id)


@dataclass
class Logged:
    events: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def __call__(self, event: str, **fields: object) -> None:
        self.events.append((event, fields))

    def announced(self) -> list[object]:
        return [f["announcement"] for e, f in self.events if e == "sip_announcement_not_played"]


def refer_from(scene: Scene, access: str | None) -> None:
    headers = [("Refer-To", f"<sip:{C}@192.0.2.1;user=phone>")]
    if access is not None:
        headers.append(("P-Access-Network-Info", access))
    scene.c.scscf.request_in(scene.b_active, "REFER", headers=headers)


def refused_and_unchanged(scene: Scene, logged: Logged, announcement: Announcement) -> None:
    c = scene.c
    assert scene.responses(c.to_scscf, "403", "REFER") == 1
    assert not scene.sent(c.to_scscf, "NOTIFY") and not scene.sent(c.to_scscf, "BYE")
    assert c.engine.active_calls == 2 and not scene.reinvites_to(c.to_handsets)
    assert logged.announced() == [announcement.value], "the engine's refusal"
    c.scscf.bye(scene.b_active)
    c.scscf.bye(scene.a)
    ended(scene)


def test_a_refer_from_a_cell_abroad_is_refused_403_with_the_engines_abroad_refusal() -> None:
    scene = held_and_second_call()
    logged = Logged()
    scene.c.network.log = scene.c.network.spoken.log = logged
    refer_from(scene, f"{SPAIN}; network-provided")
    scene.c.advance(1.0)
    refused_and_unchanged(scene, logged, Announcement.TRANSFER_REFUSED_ABROAD)


def test_a_transfer_by_keys_in_a_configured_white_zone_cell_is_refused() -> None:
    scene = held_and_second_call()
    logged = Logged()
    scene.c.network.log = scene.c.network.spoken.log = logged
    scene.c.network.keys.whereabouts = Whereabouts(white_zone_cells=[WHITE_ZONE.upper()])
    scene.c.scscf.request_in(
        scene.b_active,
        "INFO",
        body=b"Signal=#\r\nDuration=160\r\n",
        content_type="application/dtmf-relay",
        headers=[("P-Access-Network-Info", HOME_CELL)],
    )
    scene.info(scene.b_active, "1")  # no header: the dialog's last cell still counts
    scene.c.advance(1.0)
    assert logged.announced() == [Announcement.TRANSFER_REFUSED_WHITE_ZONE.value]
    assert scene.c.engine.active_calls == 2 and not scene.reinvites_to(scene.c.to_handsets)
    scene.c.scscf.bye(scene.b_active)
    scene.c.scscf.bye(scene.a)
    ended(scene)
    assert len(scene.c.network.keys.whereabouts) == 0, "forgotten with the dialog"


def test_a_refer_from_a_home_cell_transfers_with_202() -> None:
    scene = held_and_second_call()
    refer_from(scene, HOME_CELL)
    scene.c.advance(2.0)
    assert scene.responses(scene.c.to_scscf, "202", "REFER") == 1
    assert scene.c.engine.active_calls == 1


def request(*access: str) -> Request:
    lines = "".join(f"P-Access-Network-Info: {value}\r\n" for value in access)
    message = parse_message(
        (
            "REFER sip:fleetpbx@192.0.2.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
            "From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:fleetpbx@192.0.2.1>;tag=2\r\n"
            "Call-ID: where\r\nCSeq: 2 REFER\r\nMax-Forwards: 70\r\n"
            f"{lines}Content-Length: 0\r\n\r\n"
        ).encode()
    )
    assert isinstance(message, Request)
    return message


@pytest.mark.parametrize(
    ("access", "cell"),
    [
        ((HOME_CELL,), LTE("2080100a1b2c3d4e")),
        (("3GPP-GERAN; cgi-3gpp=2140712340567",), Cell(Radio.GERAN, "2140712340567")),
        (
            ('3GPP-UTRAN-FDD; utran-cell-id-3gpp="20810ABCD0123456"',),
            Cell(Radio.UTRAN, "20810abcd0123456"),
        ),
        ((f"{HOME_CELL}, {SPAIN}; network-provided",), LTE("2140700a1b2c3d4e")),
        ((HOME_CELL, f"{SPAIN};network-provided"), LTE("2140700a1b2c3d4e")),
        (("IEEE-802.11; i-wlan-node-id=ffeeddccbbaa",), None),
        (("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=abroad",), None),
        ((), None),
    ],
)
def test_the_cell_is_the_networks_one_first_and_nothing_without_a_3gpp_cell(
    access: tuple[str, ...], cell: Cell | None
) -> None:
    assert cell_of(request(*access)) == cell


def test_a_cell_of_another_country_is_abroad_and_no_cell_is_home() -> None:
    where = Whereabouts(home_mcc="208", white_zone_cells=["20801A"])
    assert where.location(LTE("2140700a1b2c3d4e")) is Location.ABROAD
    assert where.location(LTE("20801a1234b2c3d4e")) is Location.WHITE_ZONE
    assert where.location(LTE("2080200a1b2c3d4e")) is Location.HOME
    assert where.location(None) is Location.HOME
    assert Whereabouts(home_mcc="214").location(LTE("2140700a1b2c3d4e")) is Location.HOME


def test_settings_take_the_home_country_code_and_white_zone_cells_and_refuse_bad_ones() -> None:
    settings = load_settings(
        cli={"sip_home_mcc": "214", "sip_white_zone_cells": "20801A1B, 20802"}, env={}
    )
    assert settings.sip_home_mcc == "214"
    assert settings.sip_white_zone_cells == ("20801a1b", "20802")
    assert load_settings(cli={}, env={}).sip_home_mcc == "208"
    with pytest.raises(ConfigError, match="three digits"):
        load_settings(cli={"sip_home_mcc": "2080"}, env={})
    with pytest.raises(ConfigError, match="hex digits"):
        load_settings(cli={"sip_white_zone_cells": "2080x"}, env={})
    with pytest.raises(ValueError, match="three digits"):
        Whereabouts(home_mcc="FR")


def test_the_exchanges_whereabouts_are_the_ones_configured_even_before_any_dialog() -> None:
    configured = Whereabouts(home_mcc="214")
    assert len(configured) == 0
    network = SipNetwork(core().network.agent, HANDSETS, whereabouts=configured)
    assert network.keys.whereabouts is configured


async def test_the_service_reads_where_handsets_are_with_its_settings() -> None:
    settings = load_settings(
        cli={
            "network": "sip",
            "sip_host": "127.0.0.1",
            "sip_port": 0,
            "sip_core": "127.0.0.1:5060",
            "sip_home_mcc": "214",
            "sip_white_zone_cells": "2140700a",
        },
        env={},
    )
    stack = build_sip_stack(settings)
    await stack.start()
    try:
        where = sip_side(settings, stack).whereabouts
    finally:
        await stack.stop()
    assert where.location(LTE("2140700a1b2c3d4e")) is Location.WHITE_ZONE
    assert where.location(LTE("2140800a1b2c3d4e")) is Location.HOME
    assert where.location(LTE("2080100a1b2c3d4e")) is Location.ABROAD
