"""The stateless 503 of overload control (fleet.sip.overload_stateless) in virtual time over the
lossy link: while shedding, a new INVITE is refused with no transaction and no timer, its
retransmissions get the 503 again, its ACK is absorbed; an INVITE admitted before still gets its
own responses, and every other request passes. Then the stack over loopback UDP."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.overload import Limits, OverloadGuard
from fleet.sip.overload_stateless import SHED_TAG, StatelessShedder, is_shed_tag
from fleet.sip.overload_user import GuardedUser
from fleet.sip.stack import SipStack
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_ports import Scheduler, TransactionUser, Transport
from fleet.sip.transaction_server import InviteServerTransaction
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.validate import UasPolicy
from tests.polling import eventually
from tests.sip.lossy import LossyLink, RecordingTU
from tests.sip.requests import request
from tests.sip.transport_support import LOOPBACK, udp_peer
from tests.sip.virtual import VirtualClock

ALICE = Peer(UDP, "192.0.2.1", 5060)
BOB = Peer(UDP, "192.0.2.2", 5060)


class ScreenedLayer(TransactionLayer):
    """A transaction layer screened as :class:`fleet.sip.stack.SipStack` screens its own."""

    def __init__(
        self, clock: Scheduler, link: Transport, tu: TransactionUser, guard: OverloadGuard
    ) -> None:
        super().__init__(clock, link, GuardedUser(tu, guard))
        self.shedder = StatelessShedder(guard, self.has_server_transaction, link.send)

    def on_request(self, request: Request, source: Peer) -> None:
        if not self.shedder.handled(request, source):
            super().on_request(request, source)


@dataclass
class Bob:
    clock: VirtualClock
    layer: ScreenedLayer
    tu: RecordingTU
    link: LossyLink
    guard: OverloadGuard
    load: dict[str, float]

    def responses(self) -> list[Response]:
        return [s.message for s in self.link.sent if isinstance(s.message, Response)]


def bob(max_lag: float = 0.5, retry_after: int = 5) -> Bob:
    clock = VirtualClock()
    load = {"lag": 0.0}
    link = LossyLink(clock, BOB)  # its receiver None: what Bob sends is only recorded
    tu = RecordingTU()
    layer: ScreenedLayer
    guard = OverloadGuard(
        Limits(max_lag=max_lag, retry_after=retry_after),
        lambda: layer.server_transactions,
        lambda: load["lag"],
    )
    layer = ScreenedLayer(clock, link, tu, guard)
    return Bob(clock, layer, tu, link, guard, load)


def invite(call: str, branch: str, **kwargs: object) -> Request:
    return request("INVITE", call_id=call, from_tag=f"tag-{call}", branch=branch, **kwargs)  # type: ignore[arg-type]


def start_shedding(net: Bob) -> None:
    net.load["lag"] = 2.0
    net.layer.on_request(invite("trip", "z9hG4bK-trip"), ALICE)  # refused 503 by its transaction
    assert net.guard.shedding and net.guard.stateless == 0
    net.clock.advance(40)  # the tripping INVITE's transaction ends (timer H)
    assert len(net.layer) == 0 and net.clock.pending == 0


def test_a_new_invite_while_shedding_gets_a_stateless_503_and_leaves_no_transaction_or_timer() -> (
    None
):
    net = bob(retry_after=7)
    start_shedding(net)
    sent_before = len(net.responses())
    shed = invite("shed", "z9hG4bK-shed")
    net.layer.on_request(shed, ALICE)
    [refusal] = net.responses()[sent_before:]
    assert refusal.status == 503 and refusal.headers.get("Retry-After") == "7"
    assert refusal.to is not None and refusal.to.tag == SHED_TAG and is_shed_tag(refusal.to.tag)
    assert refusal.call_id == "shed" and refusal.headers.get_all("Via") == shed.headers.get_all(
        "Via"
    )
    assert refusal.cseq is not None and refusal.cseq.method == "INVITE"
    assert net.link.sent[-1].destination == ALICE
    assert len(net.layer) == 0 and net.layer.server_transactions == 0
    net.clock.advance(0.05)  # the link delivers what it carries
    assert net.clock.pending == 0  # no timer of any kind
    assert net.guard.shed == 2 and net.guard.stateless == 1
    assert net.tu.of("request") == []


def test_a_retransmitted_shed_invite_gets_the_503_again_and_its_ack_never_reaches_the_tu() -> None:
    net = bob()
    start_shedding(net)
    sent_before = len(net.responses())
    shed = invite("shed", "z9hG4bK-shed")
    net.layer.on_request(shed, ALICE)
    net.layer.on_request(invite("shed", "z9hG4bK-shed"), ALICE)  # its retransmission
    assert [r.status for r in net.responses()[sent_before:]] == [503, 503]
    ack = request(
        "ACK", call_id="shed", from_tag="tag-shed", to_tag=SHED_TAG, branch="z9hG4bK-shed"
    )
    net.layer.on_request(ack, ALICE)
    assert net.layer.shedder.absorbed == 1
    assert net.tu.events == []  # neither the INVITEs nor the ACK reached the TU
    net.clock.advance(0.05)
    assert len(net.layer) == 0 and net.clock.pending == 0
    net.load["lag"] = 0.0  # load gone: the ACK of a stateless 503 is still absorbed
    late_ack = request(
        "ACK", call_id="shed", from_tag="tag-shed", to_tag=SHED_TAG, branch="z9hG4bK-shed"
    )
    net.layer.on_request(late_ack, ALICE)
    assert net.layer.shedder.absorbed == 2 and net.tu.of("ack") == []


def test_an_invite_admitted_before_shedding_still_gets_its_responses_on_retransmission() -> None:
    net = bob()
    admitted = invite("early", "z9hG4bK-early")
    net.layer.on_request(admitted, ALICE)
    [(_, transaction, _)] = net.tu.of("request")
    assert isinstance(transaction, InviteServerTransaction)
    transaction.respond(make_response(admitted, 180, "Ringing", to_tag="bob"))
    net.load["lag"] = 2.0
    net.layer.on_request(invite("trip", "z9hG4bK-trip"), ALICE)
    assert net.guard.shedding
    sent_before = len(net.responses())
    net.layer.on_request(invite("early", "z9hG4bK-early"), ALICE)  # retransmitted while shedding
    [again] = net.responses()[sent_before:]
    assert again.status == 180 and again.call_id == "early"  # its transaction's, not a 503
    transaction.respond(make_response(admitted, 200, "OK", to_tag="bob"))
    net.layer.on_request(invite("early", "z9hG4bK-early"), ALICE)  # absorbed (RFC 6026)
    assert [r.status for r in net.responses()[sent_before:]] == [180, 200]
    assert net.guard.stateless == 0 and len(net.tu.of("request")) == 1


def test_in_dialog_requests_bye_cancel_and_options_pass_while_shedding() -> None:
    net = bob()
    start_shedding(net)
    net.layer.on_request(invite("call", "z9hG4bK-re", to_tag="bob", cseq=2), ALICE)  # re-INVITE
    net.layer.on_request(request("BYE", call_id="call", to_tag="bob", cseq=3), ALICE)
    net.layer.on_request(request("CANCEL", call_id="other"), ALICE)
    net.layer.on_request(request("OPTIONS", call_id="probe"), ALICE)
    net.layer.on_request(request("ACK", call_id="call", to_tag="bob", cseq=2), ALICE)
    methods = [e[2].method for e in net.tu.events if isinstance(e[2], Request)]
    assert methods == ["INVITE", "BYE", "CANCEL", "OPTIONS"]
    assert net.tu.kinds() == ["request", "request", "cancel", "request", "ack"]
    assert net.guard.stateless == 0 and net.layer.shedder.absorbed == 0


def test_shedding_ends_for_a_new_invite_once_the_load_falls() -> None:
    net = bob()
    start_shedding(net)
    net.load["lag"] = 0.0
    net.layer.on_request(invite("after", "z9hG4bK-after"), ALICE)
    assert not net.guard.shedding and len(net.tu.of("request")) == 1
    assert net.guard.stateless == 0


def _udp_invite(port: int, call: str, to_tag: str | None = None, method: str = "INVITE") -> bytes:
    to = "<sip:fleetpbx@example.net>" + (f";tag={to_tag}" if to_tag else "")
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP {LOOPBACK}:{port};branch=z9hG4bK-{call}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:probe@example.net>;tag={call}"),
            ("To", to),
            ("Call-ID", call),
            ("CSeq", f"1 {method}"),
        ]
    )
    return serialize(Request(method, "sip:fleetpbx@example.net", headers))


async def test_the_stack_refuses_statelessly_once_shedding_and_watches_its_udp_queue() -> None:
    config = TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy())
    stack = SipStack(config, limits=Limits(max_live_transactions=1, max_lag=60, retry_after=2))
    await stack.start()
    try:
        guard, shedder, backlog = stack.guard, stack.shedder, stack.transport.udp_backlog
        assert guard is not None and shedder is not None and backlog is not None
        await eventually(lambda: backlog.fill is not None, what="the UDP queue sampled")
        async with udp_peer() as phone:
            port = stack.listening[0]
            statuses = []
            for call in ("first", "second", "third"):
                phone.send(_udp_invite(phone.port, call), port)
                answer = parse_message(await phone.receive())
                assert isinstance(answer, Response) and answer.call_id == call
                statuses.append(answer.status)
            assert statuses == [480, 503, 503]  # the responder's, the guard's, the shedder's
            assert guard.shed == 2 and guard.stateless == 1
            assert stack.layer.server_transactions == 2  # none for the third
            phone.send(_udp_invite(phone.port, "third", SHED_TAG, "ACK"), port)
            await eventually(lambda: shedder.absorbed == 1, what="the ACK absorbed")
    finally:
        await stack.stop()
    assert stack.scheduler.pending == 0
