"""USSD keeps flowing whatever the stream does: a PDU begun and never finished closes the
link, which is bound again at once; an empty USSD string is answered; past a cap of requests
in flight the SMSC is told to slow down (ESME_RTHROTTLED), and nothing else suffers. Also
what each SMPP 3.4 error status of a submit_sm means for an SMS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from featurecodes.handler import FeatureCodeHandler
from featurecodes.smpp import Timing
from featurecodes.smpp.failures import SUBMIT_STATUSES, submit_failure
from featurecodes.smpp.link import CloseCause
from featurecodes.smpp.pdus import Status
from featurecodes.ussd import SmsFailure, UssdReply, UssdRequest
from fleet.core.clock import ManualClock
from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from simulators.smppwire import ESME_RTHROTTLED
from simulators.smsc import Misbehaviour, SmscSimulator, UssdRejected
from tests.polling import eventually
from tests.test_smpp_gateway import MSISDN, RecordingSleep, StubHandler, make_gateway, running
from tests.world import build_world

# a keepalive far beyond any deadline of these tests: only the PDU timeout can save the link
NO_KEEPALIVE = Timing(
    connect_timeout=5.0,
    response_timeout=5.0,
    enquire_link_interval=600.0,
    handler_timeout=5.0,
    pdu_timeout=0.5,
)


@pytest.fixture(autouse=True)
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert left == [], f"tasks left behind: {left}"


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(answer_timeout=10.0, rebind_timeout=30.0) as simulator:
        yield simulator


async def test_a_partial_pdu_closes_the_link_and_it_is_bound_again_at_once(
    smsc: SmscSimulator,
) -> None:
    sleep = RecordingSleep()
    handler = StubHandler()
    gateway = make_gateway(smsc, handler, timing=NO_KEEPALIVE, sleep=sleep)
    async with running(gateway, smsc):
        smsc.misbehave(Misbehaviour.PARTIAL_PDU)  # 200 octets promised, 5 sent, then silence
        assert await smsc.ussd(MSISDN, "*#21#") == "Renvoi inconditionnel : désactivé"
        assert smsc.partial_pdus_sent == 1 and smsc.binds == 2
        assert gateway.stats.last_loss is CloseCause.PARTIAL_PDU
        assert sleep.delays == []  # no backoff: bound again at once
        assert gateway.stats.rebinds_at_once == 1
        smsc.behave()
        assert await smsc.ussd(MSISDN, "*#100#")  # the new link carries on
        assert [r.text for r in handler.requests] == ["*#21#", "*#100#"]


async def test_a_second_partial_pdu_soon_after_backs_off_as_usual(smsc: SmscSimulator) -> None:
    sleep = RecordingSleep()
    gateway = make_gateway(smsc, StubHandler(), timing=NO_KEEPALIVE, sleep=sleep)
    async with running(gateway, smsc):
        smsc.misbehave(Misbehaviour.PARTIAL_PDU)
        assert await smsc.ussd(MSISDN, "*#21#")
        assert await smsc.ussd(MSISDN, "*#21#")
        assert smsc.binds == 3 and gateway.stats.rebinds_at_once == 1
        assert len(sleep.delays) == 1  # a stream lost again within reset_after: backoff


async def test_an_empty_ussd_string_is_answered(smsc: SmscSimulator) -> None:
    handler = StubHandler()
    async with running(make_gateway(smsc, handler), smsc) as gateway:
        assert await smsc.ussd(MSISDN, "") == "Code inconnu: "
        [request] = handler.requests
        assert request.text == ""
        assert gateway.stats.refused_pdus == 0


async def test_an_empty_ussd_string_gets_the_way_to_the_menu(
    services: Services, actor: Actor, clock: ManualClock
) -> None:
    await build_world(services, actor)
    directory = await CachedDirectory.open(services=services)
    try:
        handler = FeatureCodeHandler(services=services, view=directory, clock=clock)
        async with SmscSimulator(answer_timeout=10.0) as smsc:
            gateway = make_gateway(smsc, handler)
            async with running(gateway, smsc):
                answer = await smsc.ussd("+33611000001", "")
        assert answer == "Aucun code composé. Composez *700# pour le menu."
    finally:
        directory.close()


class GatedHandler(StubHandler):
    """Holds every request until the gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def handle(self, request: UssdRequest) -> UssdReply:
        self.requests.append(request)
        await self.gate.wait()
        return UssdReply(f"Réponse à {request.text}")


async def test_past_the_cap_of_requests_in_flight_the_smsc_is_throttled(
    smsc: SmscSimulator,
) -> None:
    handler = GatedHandler()
    gateway = make_gateway(smsc, handler, max_requests=2, timing=NO_KEEPALIVE)
    async with running(gateway, smsc):
        held = [asyncio.create_task(smsc.ussd(f"+3361234567{i}", f"*#2{i}#")) for i in range(2)]
        await eventually(lambda: len(handler.requests) == 2, what="two requests in the handler")
        with pytest.raises(UssdRejected) as refused:
            await smsc.ussd("+33612345679", "*#29#")
        assert refused.value.status == ESME_RTHROTTLED
        assert gateway.stats.throttled == 1
        assert await smsc.enquire_link()  # the link itself is fine
        handler.gate.set()
        assert await asyncio.gather(*held) == ["Réponse à *#20#", "Réponse à *#21#"]
        await eventually(lambda: gateway.requests_in_flight == 0, what="the requests done")
        assert await smsc.ussd("+33612345679", "*#29#") == "Réponse à *#29#"  # room again


def test_every_smpp_34_status_says_what_it_means_for_an_sms() -> None:
    errors = {status for status in Status if status != Status.ESME_ROK}
    assert set(SUBMIT_STATUSES) == errors
    permanent = {s for s, failure in SUBMIT_STATUSES.items() if failure is SmsFailure.PERMANENT}
    assert {
        Status.ESME_RINVDSTADR,
        Status.ESME_RINVDSTTON,
        Status.ESME_RINVDSTNPI,
        Status.ESME_RINVMSGLEN,
        Status.ESME_RX_P_APPN,
        Status.ESME_RX_R_APPN,
    } <= permanent
    assert submit_failure(Status.ESME_RTHROTTLED) is SmsFailure.TEMPORARY
    assert submit_failure(Status.ESME_RMSGQFUL) is SmsFailure.TEMPORARY
    assert submit_failure(Status.ESME_RSYSERR) is SmsFailure.TEMPORARY
    assert submit_failure(Status.ESME_RINVBNDSTS) is SmsFailure.UNAVAILABLE
    assert submit_failure(0x0000_0400) is SmsFailure.TEMPORARY  # a vendor's own code
