"""The trunks' OPTIONS keepalive in virtual time: an OPTIONS to each trunk's PBX every 30 s, its
state written when it changes (in service on any answer, out of service on timer F or a 503),
trunks added and removed followed round after round."""

from __future__ import annotations

from fleet.core.trunks import TrunkMode, TrunkState
from tests.sipnet.trunks_fixture import siege, with_trunk

IN, OUT = TrunkState.IN_SERVICE, TrunkState.OUT_OF_SERVICE


def test_options_go_to_the_trunk_pbx_every_30_seconds_and_in_service_is_written_once() -> None:
    c = with_trunk()
    c.network.trunks.start()
    c.advance(61)
    assert len(c.pbx.options) == 3  # at 0, 30 and 60 s
    assert c.pbx.options[0].request_uri == "sip:192.0.2.3:5060"
    assert c.trunks.written == [(1, IN)]


def test_unanswered_options_put_the_trunk_out_of_service_and_an_answer_brings_it_back() -> None:
    c = with_trunk()
    c.network.trunks.start()
    c.advance(1)
    assert c.trunks.state(1) is IN
    c.to_pbx.lose("OPTIONS", every=True)
    c.advance(60)  # at 61 s, the probe sent at 30 s is still out (timer F: 32 s)
    assert c.trunks.state(1) is IN
    c.advance(2)
    assert c.trunks.state(1) is OUT
    c.to_pbx.rules.clear()
    c.advance(30)
    assert c.trunks.written == [(1, IN), (1, OUT), (1, IN)]


def test_a_503_to_options_is_out_of_service_and_a_404_in_service() -> None:
    c = with_trunk()
    c.pbx.options_status = 503
    c.network.trunks.start()
    c.advance(1)
    assert c.trunks.state(1) is OUT
    c.pbx.options_status = 404
    c.advance(30)
    assert c.trunks.state(1) is IN


def test_a_registration_trunk_without_contact_is_out_of_service_without_a_probe() -> None:
    c = with_trunk(mode=TrunkMode.REGISTRATION, host=None, port=None)
    c.network.trunks.start()
    c.advance(1)
    assert c.pbx.options == []
    assert c.trunks.written == [(1, OUT)]


def test_trunks_added_and_removed_are_followed_each_round() -> None:
    c = with_trunk()
    c.network.trunks.start()
    c.advance(1)
    other = siege(c.world.other_fleet.id, id=2, name="autre", port=5070)
    c.trunks.add(other)
    c.advance(30)
    assert "sip:192.0.2.3:5070" in {o.request_uri for o in c.pbx.options}
    c.trunks.remove(1)
    before = len([o for o in c.pbx.options if o.request_uri == "sip:192.0.2.3:5060"])
    c.advance(60)
    after = len([o for o in c.pbx.options if o.request_uri == "sip:192.0.2.3:5060"])
    assert after == before


def test_stop_ends_the_rounds() -> None:
    c = with_trunk()
    c.network.trunks.start()
    c.advance(1)
    c.network.trunks.stop()
    c.advance(120)
    assert len(c.pbx.options) == 1


def test_a_trunk_whose_probe_is_still_out_is_not_probed_again() -> None:
    c = with_trunk()
    c.to_pbx.lose("OPTIONS", every=True)
    c.network.trunks.start()
    c.advance(61)  # rounds at 0, 30 and 60 s; the probe of 0 s ended at 32 s (timer F)
    probes = {s.message.call_id for s in c.to_pbx.sent if s.label == "OPTIONS"}
    assert len(probes) == 2  # 0 and 30 s: the one of 30 s was still out at 60 s
