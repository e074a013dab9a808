"""The ESME adapter against a misbehaving SMSC: drops, unbinds, black holes, slow and corrupt
PDUs, refused binds. Loopback TCP; waits on conditions, never on bare sleeps."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import pytest

from featurecodes.smpp import NotBound, SubmitTimeout, Timing, UssdGateway
from featurecodes.ussd import Sms
from fleet.core.numbering import E164
from simulators.smppwire import DELIVER_SM, GENERIC_NACK, MALFORMED
from simulators.smsc import Misbehaviour, SmscSimulator
from tests.polling import eventually
from tests.test_smpp_gateway import (
    MSISDN,
    RecordingSleep,
    StubHandler,
    make_gateway,
    running,
)

SMS = Sms(E164(MSISDN), "Votre renvoi est actif")
GROWING_CAPPED = [0.02, 0.04, 0.08, 0.16, 0.16]


@pytest.fixture(autouse=True)
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert left == [], f"tasks left behind: {left}"


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(answer_timeout=10.0) as simulator:
        yield simulator


@pytest.fixture
def handler() -> StubHandler:
    return StubHandler()


async def test_reconnects_with_capped_backoff_after_drop_connection(
    smsc: SmscSimulator, handler: StubHandler
) -> None:
    sleep = RecordingSleep()
    async with running(make_gateway(smsc, handler, sleep=sleep), smsc) as gateway:
        smsc.misbehave(Misbehaviour.DROP_CONNECTION)  # drops now, then every bind
        await eventually(lambda: not gateway.bound)
        with pytest.raises(NotBound):
            await gateway.sms_sender.send(SMS)
        await eventually(lambda: len(sleep.delays) >= 5)
        assert sleep.delays[:5] == GROWING_CAPPED
        smsc.behave()
        await eventually(lambda: gateway.bound and smsc.binds == 2)
        assert await smsc.ussd(MSISDN, "*#21#")
        await gateway.sms_sender.send(SMS)
        assert gateway.stats.connection_losses == 1
        assert gateway.stats.bind_failures >= 4


async def test_reconnects_after_unbind_on_submit(smsc: SmscSimulator, handler: StubHandler) -> None:
    async with running(make_gateway(smsc, handler), smsc) as gateway:
        smsc.misbehave(Misbehaviour.UNBIND_ON_SUBMIT)
        with pytest.raises(NotBound):
            await gateway.sms_sender.send(SMS)
        smsc.behave()
        await eventually(lambda: gateway.bound and smsc.binds == 2)
        await gateway.sms_sender.send(SMS)
        assert await smsc.ussd(MSISDN, "*#21#")
    assert [m.text for m in smsc.inbox[MSISDN]] == [SMS.text]


async def test_a_black_hole_holds_only_the_window_and_only_until_the_timeout(
    smsc: SmscSimulator, handler: StubHandler
) -> None:
    # the timeout is long against scheduling delays of a loaded machine, short for a test
    timing = Timing(response_timeout=2.0, enquire_link_interval=30.0, handler_timeout=5.0)
    async with running(make_gateway(smsc, handler, window=2, timing=timing), smsc) as gateway:
        smsc.misbehave(Misbehaviour.BLACK_HOLE)
        sender = gateway.sms_sender
        sends = [
            asyncio.create_task(sender.send(Sms(E164(f"+3361234567{i}"), f"n°{i}")))
            for i in range(3)
        ]
        await eventually(lambda: len(smsc.submits) == 2)
        loop = asyncio.get_running_loop()
        submitted = loop.time()
        assert not sends[2].done() and len(smsc.submits) == 2  # the third waits for room
        # other traffic goes on while the window is full: enquire_link, and a USSD request.
        # The request comes a second after the submits, so its answer's wait for room ends a
        # second after they time out and free the window: right behind them, the two
        # deadlines were milliseconds apart and a loaded loop could fire them together.
        await smsc.enquire_link()
        await eventually(lambda: loop.time() >= submitted + 1.0)
        answer = asyncio.create_task(smsc.ussd(MSISDN, "*#21#"))
        await eventually(lambda: len(handler.requests) == 1)
        assert not sends[0].done()  # answered before the black-holed submits timed out
        results = await asyncio.gather(*sends, return_exceptions=True)
        assert [type(result) for result in results] == [SubmitTimeout] * 3
        assert await answer == "Renvoi inconditionnel : désactivé"  # once a slot was free
        smsc.behave()
        await sender.send(SMS)
        assert gateway.bound and smsc.binds == 1


@pytest.mark.parametrize(("delay", "times_out"), [(0.05, False), (3.0, True)])
async def test_slow_responses(
    smsc: SmscSimulator, handler: StubHandler, delay: float, times_out: bool
) -> None:
    timing = Timing(response_timeout=1.5, enquire_link_interval=30.0)
    async with running(make_gateway(smsc, handler, window=1, timing=timing), smsc) as gateway:
        smsc.slow_delay = delay
        smsc.misbehave(Misbehaviour.SLOW_RESPONSE)
        sends = asyncio.gather(
            gateway.sms_sender.send(SMS), gateway.sms_sender.send(SMS), return_exceptions=True
        )
        await smsc.enquire_link()  # not held up by the window
        results = await sends
        expected = [SubmitTimeout] * 2 if times_out else [type(None)] * 2
        assert [type(result) for result in results] == expected
        smsc.behave()
        assert await smsc.ussd(MSISDN, "*#21#")  # late responses were dropped, link is fine
        assert gateway.bound and smsc.binds == 1


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("truncated_deliver_sm", 0x02),  # ESME_RINVCMDLEN
        ("unknown_command", 0x03),  # ESME_RINVCMDID
        ("bad_session_length", 0xC2),  # ESME_RINVPARLEN
        ("tlv_overrun", 0xC0),  # ESME_RINVOPTPARSTREAM
    ],
)
async def test_a_malformed_pdu_gets_generic_nack_and_the_session_survives(
    smsc: SmscSimulator, handler: StubHandler, kind: str, status: int
) -> None:
    assert kind in MALFORMED
    async with running(make_gateway(smsc, handler), smsc) as gateway:
        response = await smsc.send_malformed(kind)
        assert (response.command_id, response.status) == (GENERIC_NACK, status)
        assert await smsc.ussd(MSISDN, "*#21#")
        assert gateway.bound and smsc.binds == 1
        assert handler.requests[0].text == "*#21#"
        assert gateway.stats.refused_pdus == 1


async def test_an_impossible_command_length_is_nacked_then_the_bind_renewed(
    smsc: SmscSimulator, handler: StubHandler
) -> None:
    async with running(make_gateway(smsc, handler), smsc) as gateway:
        await smsc.send_raw(struct.pack("!IIII", 8, DELIVER_SM, 0, 42))  # shorter than a header
        await eventually(lambda: smsc.binds == 2 and gateway.bound)
        assert [(r.command_id, r.status, r.sequence) for r in smsc.responses] == [
            (GENERIC_NACK, 0x02, 42)  # ESME_RINVCMDLEN: the stream cannot be followed
        ]
        assert await smsc.ussd(MSISDN, "*#21#")


async def test_malformed_pdu_misbehaviour(smsc: SmscSimulator, handler: StubHandler) -> None:
    async with running(make_gateway(smsc, handler), smsc) as gateway:
        smsc.misbehave(Misbehaviour.MALFORMED_PDU)
        assert await smsc.ussd(MSISDN, "*#100#")
        assert await smsc.reply(MSISDN, "1") == "Renvoi si occupé activé"
        nacks = [r for r in smsc.responses if r.command_id == GENERIC_NACK]
        assert len(nacks) == 4
        assert gateway.bound and smsc.binds == 1


async def test_a_refused_bind_is_retried_with_capped_backoff(
    smsc: SmscSimulator, handler: StubHandler
) -> None:
    sleep = RecordingSleep()
    gateway = make_gateway(smsc, handler, password="wrong", sleep=sleep)
    await gateway.start()
    try:
        await eventually(lambda: len(sleep.delays) >= 5)
        assert sleep.delays[:5] == GROWING_CAPPED
        assert not gateway.bound
        assert {status for _, _, status in smsc.bind_attempts} == {0x0E}  # ESME_RINVPASWD
    finally:
        await gateway.stop()


def test_credentials_too_long_for_smpp_are_refused_at_once(handler: StubHandler) -> None:
    with pytest.raises(ValueError, match="password"):
        UssdGateway(host="h", port=1, system_id="s", password="123456789", handler=handler)


async def test_an_unreachable_smsc_is_retried_and_stop_still_works(handler: StubHandler) -> None:
    async with SmscSimulator() as gone:
        port = gone.port
    sleep = RecordingSleep()
    gateway = make_gateway(gone, handler, port=port, sleep=sleep)
    await gateway.start()
    await eventually(lambda: gateway.stats.bind_failures >= 3)
    await gateway.stop()
    assert not gateway.bound
