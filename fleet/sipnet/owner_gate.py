"""Calls only where their fleet is owned (issue 15): between the stack's edge and the
adapter's user agent, an out-of-dialog INVITE for a fleet another process owns is answered
**302 Moved Temporarily** with that owner's address in Contact, and one for a fleet nobody
owns right now (an owner just died, the owner connection is down) **503** with Retry-After.
Everything else — INVITEs for the fleets this process owns, for numbers of no fleet, every
in-dialog request, CANCEL, ACK — goes on to the user agent unchanged.

Redirect rather than proxy: the process that is not the owner keeps no state for the call
(no transaction past the 302, no dialog, no media), so it may die or restart without
touching the call; the front (Kamailio, or the S-CSCF) sends the INVITE again to the
Contact, whose user part is the Request-URI's (the dialled number) and whose host and port
are the owner's.

A call to a fleet nobody owns as last seen (a fleet just created, its owner just dead), or
owned elsewhere as seen more than ``max_age`` seconds ago (the owner may have died since), is
held — the transaction answers 100 meanwhile — until the ownership's next round (``refresh``),
which may well make this process the owner; only then is it refused 503. A CANCEL of a held
INVITE ends it at once (200, and 487 to the INVITE).

The fleet of an INVITE: for one a company's PBX sent on its trunk (``trunk_fleet``: the
trunk found by the PBX's address, registered contact or Digest user), the trunk's fleet — a
PBX's calls are its fleet's, whatever number it dials, as the ISC calls of the fleet's lines
are; otherwise the served user's (originating case, P-Served-User or the ``orig`` Route) or
the Request-URI number's (terminating case), through the routing cache.

The gate's own answers (302, 503, 487) end the INVITE here: no dialog, no call. The same INVITE
sent again on a new branch (same Call-ID, From tag and CSeq) — the front coming back after the
owner it was sent to did not answer — is therefore no merged request (482, RFC 3261
§8.2.2.2) but decided afresh, on the ownership as it is now; see ``ANSWERED_FOR``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fleet.core.numbering import E164, NumberPolicy
from fleet.core.ownership import Owner, OwnerMap, Ownership
from fleet.sip.message import Request, Response
from fleet.sip.transaction_messages import new_tag
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.ua_messages import uas_response
from fleet.sip.user_relay import UserRelay
from fleet.sipnet.parties import dialled_of
from fleet.sipnet.served import ServedUserError, visit_of

REDIRECT_EXPIRES = 60  # seconds a front may remember the redirection (Contact expires)
REDIRECT_MAX_AGE = 0.5  # seconds: an older view of another process's ownership is read again
ANSWERED_FOR = 64.0  # seconds an INVITE the gate answered is remembered (timer H, 64*T1)

Merge = tuple[str, str, int]  # From tag, Call-ID, CSeq number: RFC 3261 §8.2.2.2's key


def merge_key(request: Request) -> Merge | None:
    sender, cseq, call_id = request.from_, request.cseq, request.call_id
    if sender is None or sender.tag is None or cseq is None or call_id is None:
        return None
    return (sender.tag, call_id, cseq.number)


def contact_at(owner: Owner, dialled: str | None) -> str:
    """The Contact of the 302: the owner's SIP address with the dialled number as user."""
    address = owner.sip_uri.removeprefix("sip:")
    if not dialled:
        return f"<sip:{address}>;expires={REDIRECT_EXPIRES}"
    return f"<sip:{dialled}@{address};user=phone>;expires={REDIRECT_EXPIRES}"


@dataclass
class OwnerGate(UserRelay):
    """``inner``: the user agent; ``owners``: the ownership as last seen; ``fleet_of``: a
    number's fleet (the routing cache's); ``retry_after``: seconds of the 503."""

    inner: TransactionUser
    owners: Callable[[], OwnerMap]
    fleet_of: Callable[[E164], int | None]
    policy: NumberPolicy
    trunk_fleet: Callable[[ServerTransaction, Request], int | None] | None = None
    refresh: Callable[[Callable[[OwnerMap], None]], None] | None = None
    now: Callable[[], float] = time.monotonic  # the clock of ``OwnerMap.seen_at``
    max_age: float = REDIRECT_MAX_AGE
    retry_after: int = 1
    redirected: int = 0
    refused: int = 0
    held: dict[ServerTransaction, Request] = field(default_factory=dict)
    answered: dict[Merge, float] = field(default_factory=dict)  # INVITEs ended here, when

    def fleet(self, request: Request, transaction: ServerTransaction | None = None) -> int | None:
        """The fleet the INVITE is for (the sending PBX's trunk's first); None when it names
        no fleet's number."""
        if transaction is not None and self.trunk_fleet is not None:
            trunk_fleet = self.trunk_fleet(transaction, request)
            if trunk_fleet is not None:
                return trunk_fleet
        try:
            visit = visit_of(request, self.policy)
        except ServedUserError:
            return None  # the user agent answers it 400
        number = visit.served if visit.originating else self._dialled(request)
        return self.fleet_of(number) if number is not None else None

    def _dialled(self, request: Request) -> E164 | None:
        text = dialled_of(request)
        return self.policy.classify(self.policy.clean(text))[1] if text else None

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        if request.method != "INVITE" or (to is not None and to.tag is not None):
            self.inner.on_request(transaction, request)
            return
        fleet_id = self.fleet(request, transaction)
        if fleet_id is None:
            self.inner.on_request(transaction, request)
            return
        owners = self.owners()
        ownership, _ = owners.of(fleet_id)
        stale = ownership is Ownership.ELSEWHERE and self.now() - owners.seen_at > self.max_age
        if (ownership is Ownership.NOBODY or stale) and self.refresh is not None:
            self.held[transaction] = request

            def decide(owners: OwnerMap) -> None:
                if self.held.pop(transaction, None) is not None:  # not cancelled meanwhile
                    self._decide(transaction, request, owners, fleet_id)

            self.refresh(decide)
            return
        self._decide(transaction, request, self.owners(), fleet_id)

    def _decide(
        self, transaction: ServerTransaction, request: Request, owners: OwnerMap, fleet_id: int
    ) -> None:
        ownership, owner = owners.of(fleet_id)
        if ownership is Ownership.MINE:
            self.inner.on_request(transaction, request)
        elif owner is not None:
            self.redirected += 1
            response = uas_response(request, 302, local_tag=new_tag())
            response.headers.add("Contact", contact_at(owner, dialled_of(request)))
            self._answer(transaction, request, response)
        else:
            self.refused += 1
            response = uas_response(request, 503, local_tag=new_tag(), reason="No Fleet Owner")
            response.headers.add("Retry-After", str(self.retry_after))
            self._answer(transaction, request, response)

    def _answer(self, transaction: ServerTransaction, request: Request, response: Response) -> None:
        """End the INVITE here, remembering it: the same INVITE on a new branch is new."""
        now = self.now()
        while self.answered:  # oldest first (insertion order): forget those past timer H
            oldest, at = next(iter(self.answered.items()))
            if now - at <= ANSWERED_FOR:
                break
            del self.answered[oldest]
        key = merge_key(request)
        if key is not None:
            self.answered.pop(key, None)
            self.answered[key] = now
        transaction.respond(response)

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        held = self.held.pop(invite, None) if invite is not None else None
        if invite is None or held is None:
            self.inner.on_cancel(transaction, request, invite)
            return
        tag = new_tag()
        transaction.respond(uas_response(request, 200, local_tag=tag))
        self._answer(invite, held, uas_response(held, 487, local_tag=tag))

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        """An INVITE this gate ended (no dialog anywhere here) sent again on another branch
        is decided again; any other merged request is the user agent's (482)."""
        key = merge_key(request) if request.method == "INVITE" else None
        if key is not None and self.answered.pop(key, None) is not None:
            self.on_request(transaction, request)
            return
        self.inner.on_merged_request(transaction, request)
