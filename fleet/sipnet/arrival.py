"""A caller's INVITE handed to the engine (DESIGN §8, ISC profile): the terminating case
(``incoming_call``: §4 and §5 apply) or the originating one (``originating_call``: the served
line's own call, short numbers and the hidden number), with the caller — the served line, else
P-Asserted-Identity / From —, whether the core withholds its identity, the INVITE's Call-ID as
the leg's network id and the visit's correlation id."""

from __future__ import annotations

from fleet.core.calls.engine import Engine
from fleet.core.calls.ports import EventLog
from fleet.sip.ua_calls import IncomingCall
from fleet.sipnet.parties import caller_of, identity_withheld
from fleet.sipnet.served import Visit


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
