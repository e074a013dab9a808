"""The owner gate between the SIP edge and the user agent (``fleet.sipnet.owner_gate``): an
initial INVITE for a fleet owned elsewhere gets 302 with the owner's address and the dialled
number in Contact, one for a fleet nobody owns 503 with Retry-After; the owned fleets' calls,
numbers of no fleet and in-dialog requests reach the user agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from fleet.core.numbering import NumberPolicy
from fleet.core.ownership import Owner, OwnerMap
from fleet.sip.message import Request, Response
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import ServerTransaction
from fleet.sipnet.owner_gate import OwnerGate
from tests.sip.requests import request

FLEETS = {"+33611000001": 1, "+33622000001": 2, "+33633000001": 3}
OWNER = Owner(process="p2", sip_uri="sip:10.0.0.2:5071")


@dataclass(eq=False)  # hashable by identity, as transactions are
class Responded:
    responses: list[Response] = field(default_factory=list)

    def respond(self, response: Response) -> bool:
        self.responses.append(response)
        return True


@dataclass
class Inner:
    requests: list[Request] = field(default_factory=list)

    def on_request(self, transaction: object, request: Request) -> None:
        self.requests.append(request)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected {name}")


def gate(inner: Inner) -> OwnerGate:
    owners = OwnerMap(mine=frozenset({1}), others={2: OWNER})
    return OwnerGate(
        inner=cast(TransactionUser, inner),
        owners=lambda: owners,
        fleet_of=lambda number: FLEETS.get(number.value),
        policy=NumberPolicy(),
        retry_after=3,
    )


def send(g: OwnerGate, req: Request) -> Responded:
    transaction = Responded()
    g.on_request(cast(ServerTransaction, transaction), req)
    return transaction


def invite(number: str, *, to_tag: str | None = None) -> Request:
    return request("INVITE", uri=f"sip:{number}@10.0.0.1;user=phone", to_tag=to_tag)


def test_a_call_to_a_fleet_owned_elsewhere_is_redirected_to_its_owner() -> None:
    inner = Inner()
    g = gate(inner)
    (response,) = send(g, invite("+33622000001")).responses
    assert response.status == 302
    assert response.headers.get("Contact") == (
        "<sip:+33622000001@10.0.0.2:5071;user=phone>;expires=60"
    )
    assert response.to is not None and response.to.tag
    assert inner.requests == [] and g.redirected == 1


def test_a_call_to_a_fleet_nobody_owns_is_refused_503_with_retry_after() -> None:
    inner = Inner()
    (response,) = send(gate(inner), invite("+33633000001")).responses
    assert (response.status, response.headers.get("Retry-After")) == (503, "3")
    assert inner.requests == []


def test_calls_to_owned_fleets_and_to_numbers_of_no_fleet_reach_the_user_agent() -> None:
    inner = Inner()
    g = gate(inner)
    for number in ("+33611000001", "+33644000001"):
        assert send(g, invite(number)).responses == []
    assert len(inner.requests) == 2


def test_in_dialog_requests_stay_with_the_process_that_has_the_dialog() -> None:
    inner = Inner()
    g = gate(inner)
    assert send(g, invite("+33622000001", to_tag="abc")).responses == []  # a re-INVITE
    assert send(g, request("BYE", uri="sip:+33622000001@10.0.0.1", to_tag="x")).responses == []
    assert len(inner.requests) == 2


def test_an_originating_call_belongs_to_the_served_users_fleet() -> None:
    inner = Inner()
    req = invite("+33611000001")  # dialled: a line of the owned fleet
    req.headers.add("P-Served-User", "<sip:+33622000001@ims.example.net>;sescase=orig")
    (response,) = send(gate(inner), req).responses
    assert response.status == 302


def test_a_tel_request_uri_is_read_for_its_fleet_too() -> None:
    req = request("INVITE", uri="tel:+33622000001")
    assert gate(Inner()).fleet(req) == 2
    (response,) = send(gate(Inner()), req).responses
    assert (response.headers.get("Contact") or "").startswith("<sip:+33622000001@10.0.0.2:5071;")


def held_gate(inner: Inner, asked: list[Callable[[OwnerMap], None]]) -> OwnerGate:
    g = gate(inner)
    g.refresh = asked.append
    return g


def test_a_call_to_an_unowned_fleet_waits_for_the_next_round_which_may_make_it_ours() -> None:
    inner, asked = Inner(), list[Callable[[OwnerMap], None]]()
    g = held_gate(inner, asked)
    transaction = send(g, invite("+33633000001"))
    assert transaction.responses == [] and inner.requests == [] and len(asked) == 1
    asked[0](OwnerMap(mine=frozenset({3})))
    assert len(inner.requests) == 1 and transaction.responses == []


def test_a_call_still_unowned_after_the_round_is_refused_503() -> None:
    inner, asked = Inner(), list[Callable[[OwnerMap], None]]()
    transaction = send(held_gate(inner, asked), invite("+33633000001"))
    asked[0](OwnerMap())
    assert [r.status for r in transaction.responses] == [503] and inner.requests == []


def test_a_held_call_cancelled_meanwhile_ends_487_and_is_not_decided_again() -> None:
    inner, asked = Inner(), list[Callable[[OwnerMap], None]]()
    g = held_gate(inner, asked)
    held = Responded()
    req = invite("+33633000001")
    g.on_request(cast(ServerTransaction, held), req)
    cancel = Responded()
    g.on_cancel(cast(Any, cancel), request("CANCEL"), cast(Any, held))
    assert [r.status for r in cancel.responses] == [200]
    assert [r.status for r in held.responses] == [487]
    asked[0](OwnerMap(mine=frozenset({3})))
    assert inner.requests == [] and len(held.responses) == 1


def test_a_redirect_is_decided_on_a_fresh_view_of_the_owner() -> None:
    inner, asked = Inner(), list[Callable[[OwnerMap], None]]()
    g = held_gate(inner, asked)
    clock = [10.0]
    g.now = lambda: clock[0]
    g.owners = lambda: OwnerMap(mine=frozenset({1}), others={2: OWNER}, seen_at=9.8)
    (response,) = send(g, invite("+33622000001")).responses  # seen 0.2 s ago: at once
    assert response.status == 302 and asked == []
    clock[0] = 11.0  # seen 1.2 s ago: the owner may be dead, read again first
    transaction = send(g, invite("+33622000001"))
    assert transaction.responses == [] and len(asked) == 1
    asked[0](OwnerMap(mine=frozenset({1, 2}), seen_at=11.0))  # it was: the fleet is ours now
    assert transaction.responses == [] and len(inner.requests) == 1


def merged(g: OwnerGate, req: Request) -> Responded:
    transaction = Responded()
    g.on_merged_request(cast(ServerTransaction, transaction), req)
    return transaction


@dataclass
class Merging(Inner):
    merged: list[Request] = field(default_factory=list)

    def on_merged_request(self, transaction: object, request: Request) -> None:
        self.merged.append(request)


def test_an_invite_redirected_here_and_sent_again_on_a_new_branch_is_decided_again() -> None:
    # the front followed the 302 to an owner that died, then came back here: the fleet is
    # ours by now, so the same INVITE (Call-ID, From tag, CSeq) is a call, not a merged 482
    inner = Merging()
    view = [OwnerMap(mine=frozenset({1}), others={2: OWNER})]
    g = gate(inner)
    g.owners = lambda: view[0]
    (first,) = send(g, invite("+33622000001")).responses
    assert first.status == 302
    view[0] = OwnerMap(mine=frozenset({1, 2}))
    again = merged(g, invite("+33622000001"))
    assert again.responses == [] and len(inner.requests) == 1 and inner.merged == []
    # a third copy now meets the call this process has: the user agent's merged request
    merged(g, invite("+33622000001"))
    assert len(inner.merged) == 1


def test_an_invite_refused_503_here_and_sent_again_is_decided_again_too() -> None:
    inner = Merging()
    g = gate(inner)
    (first,) = send(g, invite("+33633000001")).responses
    assert first.status == 503
    (again,) = merged(g, invite("+33633000001")).responses
    assert again.status == 503 and inner.merged == []


def test_a_merged_invite_the_gate_did_not_answer_is_the_user_agents() -> None:
    inner = Merging()
    g = gate(inner)
    send(g, invite("+33611000001"))  # owned: the user agent has it
    assert merged(g, invite("+33611000001")).responses == []
    assert len(inner.merged) == 1 and len(inner.requests) == 1


def test_the_invites_the_gate_answered_are_forgotten_after_timer_h() -> None:
    inner = Merging()
    g = gate(inner)
    clock = [100.0]
    g.now = lambda: clock[0]
    send(g, request("INVITE", uri="sip:+33622000001@10.0.0.1;user=phone", call_id="old"))
    clock[0] = 200.0  # 100 s later another INVITE is answered: the old one is dropped
    send(g, invite("+33622000001"))
    assert list(g.answered) == [("alice", "call-1@192.0.2.1", 1)]


def pbx_gate(inner: Inner, sent_by_pbx: set[str]) -> OwnerGate:
    # a PBX of fleet 2's trunk sends from 192.0.2.50 (here: the From tag stands for it)
    g = gate(inner)
    g.trunk_fleet = lambda _t, req: (
        2 if req.from_ is not None and req.from_.tag in sent_by_pbx else None
    )
    return g


def test_a_call_a_pbx_places_on_its_trunk_is_its_fleets_whatever_number_it_dials() -> None:
    inner = Inner()
    g = pbx_gate(inner, {"pbx"})
    for dialled in ("+33145000000", "+33611000001"):  # outside, and a line of owned fleet 1
        req = request("INVITE", uri=f"sip:{dialled}@10.0.0.1;user=phone", from_tag="pbx")
        (response,) = send(g, req).responses
        assert response.status == 302
        assert (response.headers.get("Contact") or "").startswith(f"<sip:{dialled}@10.0.0.2:5071;")
    assert inner.requests == []


def test_a_pbx_call_of_a_fleet_owned_here_reaches_the_user_agent() -> None:
    inner = Inner()
    g = pbx_gate(inner, {"pbx"})
    g.owners = lambda: OwnerMap(mine=frozenset({2}))
    req = request("INVITE", uri="sip:+33145000000@10.0.0.1;user=phone", from_tag="pbx")
    assert send(g, req).responses == [] and len(inner.requests) == 1
    # a call that no trunk sent is read by its number as before
    assert send(g, invite("+33145000000")).responses == [] and len(inner.requests) == 2
