"""The transaction user the stack runs while no call handling exists behind it: it answers
OPTIONS (RFC 3261 §11) with what this UAS serves and refuses every other request with a final
response, so a peer probing or calling FleetPBX learns at once where it stands.

- OPTIONS: 200 with ``Allow``, ``Accept`` and ``Supported`` from the :class:`UasPolicy`;
- a request inside a dialog (its To has a tag): 481 Call/Transaction Does Not Exist, since no
  dialog can exist here (RFC 3261 §12.2.2);
- any other request (an INVITE, an out-of-dialog BYE, INFO …): **480 Temporarily Unavailable**
  with a ``Warning: 399`` saying why. 480 is an answer about this request (RFC 3261 §21.4.18):
  a proxy or an IMS core takes it as the callee not reachable now. 503 would say the *server* is
  unavailable: RFC 3263 clients then fail over to another node and RFC 3261 §21.5.4 lets them
  avoid this one for the Retry-After period; it is kept for the overload control of the
  stack, so "no call handling" and "overloaded" stay distinguishable on the wire;
- ACK: absorbed (a 2xx is never sent to an INVITE here, so an ACK for one has nothing to do);
- CANCEL: 481 when it matches no INVITE (RFC 3261 §9.2), else 200 (the INVITE was already
  answered 480, so no 487 is due);
- a merged request: 482 Loop Detected (RFC 3261 §8.2.2.2).

It is a :class:`fleet.sip.transaction_ports.TransactionUser` like any other: the network
adapter replaces it with the call engine's."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import make_response, new_tag
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.validate import UasPolicy

REFUSAL_WARNING = "no call handling in this service yet"


def _no_such(request: Request) -> Response:
    """481 (a tag added to To when the request had none, RFC 3261 §8.2.6.2)."""
    return make_response(request, 481, "Call/Transaction Does Not Exist", to_tag=new_tag())


@dataclass
class OptionsResponder:
    """Answers as the module says; ``warn_agent`` is the host written in ``Warning`` (RFC 3261
    §20.43: the host adding it). ``answered`` counts the final responses given, by status."""

    policy: UasPolicy = field(default_factory=UasPolicy)
    warn_agent: str = "fleetpbx"
    answered: dict[int, int] = field(default_factory=dict)

    def options_response(self, request: Request) -> Response:
        response = make_response(request, 200, "OK", to_tag=new_tag())
        headers = response.headers
        headers.add("Allow", self.policy.allow_header())
        headers.add("Accept", ", ".join(sorted(self.policy.answer_types)))
        headers.add("Supported", ", ".join(sorted(self.policy.extensions)))
        return response

    def refusal(self, request: Request) -> Response:
        to = request.to
        if to is not None and to.tag is not None:
            return _no_such(request)
        response = make_response(request, 480, "Temporarily Unavailable", to_tag=new_tag())
        response.headers.add("Warning", f'399 {self.warn_agent} "{REFUSAL_WARNING}"')
        return response

    def _answer(self, transaction: ServerTransaction, response: Response) -> None:
        if transaction.respond(response):
            self.answered[response.status] = self.answered.get(response.status, 0) + 1

    # TransactionUser

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        if request.method == "OPTIONS":
            self._answer(transaction, self.options_response(request))
        else:
            self._answer(transaction, self.refusal(request))

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        if invite is None:
            self._answer(transaction, _no_such(request))
            return
        self._answer(transaction, make_response(request, 200, "OK", to_tag=invite.to_tag))

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        self._answer(transaction, make_response(request, 482, "Loop Detected", to_tag=new_tag()))

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        """Nothing to do: no 2xx is ever sent to an INVITE here."""

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        """This TU sends no request."""

    def on_stray_response(self, response: Response) -> None:
        """Dropped (RFC 3261 §18.1.2)."""

    def on_timeout(self, transaction: TransactionBase) -> None:
        """A 480 never acknowledged (timer H): nothing to clean up."""

    def on_transport_error(self, transaction: TransactionBase) -> None:
        """A response that could not be sent: the peer retransmits or gives up."""
