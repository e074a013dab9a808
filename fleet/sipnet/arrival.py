"""A caller's INVITE admitted (:class:`Gate`: a number dialled, a readable P-Served-User, from
a trunk's PBX presenting whom it may or from a trusted peer) and handed to the engine
(DESIGN §8, ISC profile): the terminating case
(``incoming_call``: §4 and §5 apply) or the originating one (``originating_call``: the served
line's own call, short numbers and the hidden number), with the caller — the served line, else
P-Asserted-Identity / From —, whether the core withholds its identity, the INVITE's Call-ID as
the leg's network id and the visit's correlation id."""

from __future__ import annotations

from fleet.core.calls.engine import Engine
from fleet.core.calls.ports import EventLog
from fleet.sip.ua_calls import IncomingCall
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.parties import caller_of, dialled_of, identity_withheld
from fleet.sipnet.served import ServedUserError, Visit, visit_of
from fleet.sipnet.trunks import Admission, SipTrunks
from fleet.sipnet.trusted import TrustedPeers


class Gate:
    """Which INVITEs a caller's leg may come from: the adapter's admission of a caller."""

    def __init__(
        self, agent: FleetAgent, *, trunks: SipTrunks, trusted: TrustedPeers, log: EventLog
    ) -> None:
        self.agent, self.trunks, self.trusted, self.log = agent, trunks, trusted, log

    def __call__(self, call: IncomingCall, engine: Engine) -> tuple[Visit, str] | None:
        """The INVITE's session case and the number dialled, or None once it is refused: no
        number (404), a P-Served-User not understood (400), a trunk's PBX presenting someone
        it may not or an untrusted peer (403)."""
        dialled = dialled_of(call.invite)
        if not dialled:
            self.agent.reject(call, 404)
            return None
        try:
            visit = visit_of(call.invite, engine.policy)
        except ServedUserError as exc:
            self.log("sip_served_user_refused", sip_call_id=call.invite.call_id, error=str(exc))
            self.agent.reject(call, 400, reason="Bad P-Served-User")
            return None
        admission = self.trunks.admission(call, engine.policy, engine.directory)
        if admission is Admission.REFUSED or (
            admission is Admission.NOT_A_TRUNK and not self.trusted(call.transaction.peer)
        ):
            self.log("sip_call_refused", sip_call_id=call.invite.call_id, why=admission.value)
            self.agent.reject(call, 403)
            return None
        return visit, dialled


def hand_to_engine(
    engine: Engine, leg_id: str, call: IncomingCall, visit: Visit, dialled: str, log: EventLog
) -> None:
    caller = visit.served if visit.originating else caller_of(call.invite, engine.policy)
    log(
        "sip_call_offered",
        leg=leg_id,
        sip_call_id=call.invite.call_id,
        caller=caller.value if caller else None,
        dialled=dialled,
        session_case=visit.case.value,
        correlation=visit.correlation,
    )
    restricted = identity_withheld(call.invite)
    if visit.originating:
        engine.originating_call(
            leg_id=leg_id,
            served=caller,
            dialled=dialled,
            restricted=restricted,
            network_id=call.invite.call_id,
            correlation_id=visit.correlation,
        )
        return
    engine.incoming_call(
        leg_id=leg_id,
        caller=caller,
        dialled=dialled,
        restricted=restricted,
        network_id=call.invite.call_id,
        correlation_id=visit.correlation,
    )
