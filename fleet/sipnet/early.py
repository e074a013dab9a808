"""What a caller whose INVITE is still unanswered hears of its callees (DESIGN §8): their 180
and 183 relayed (a 183's SDP with it), and a 181 Call Is Being Forwarded per forwarding hop
with the History-Info of the call up to that hop (RFC 7044)."""

from __future__ import annotations

from collections.abc import Sequence

from fleet.core.calls.diversion import Diversion
from fleet.sip.message import Response
from fleet.sip.ua_calls import IncomingCall, IncomingState
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.history import history_info

UNANSWERED = (IncomingState.PROCEEDING, IncomingState.EARLY)
RELAYED = (180, 183)
FORWARDED = 181


class EarlyNews:
    """Per caller's leg, how many forwarding hops it has heard of."""

    def __init__(self, agent: FleetAgent) -> None:
        self.agent = agent
        self._hops_told: dict[str, int] = {}  # A-leg -> forwarding hops the caller heard of

    def relay(self, caller: IncomingCall, response: Response) -> None:
        """A callee's 180/183 to the caller, while it is unanswered."""
        if caller.state not in UNANSWERED or response.status not in RELAYED:
            return
        body = response.body if response.status == 183 else b""
        content_type = response.headers.get("Content-Type") if body else None
        self.agent.ring(caller, response.status, body=body, content_type=content_type)

    def forwarded(self, a_leg: str, caller: IncomingCall, diversions: Sequence[Diversion]) -> None:
        """A 181 for each hop of ``diversions`` the caller has not heard of yet."""
        told = self._hops_told.get(a_leg, 0)
        hops = len(diversions)
        if hops <= told:
            return
        self._hops_told[a_leg] = hops
        for hop in range(told + 1, hops + 1):
            if caller.state in UNANSWERED:
                so_far = diversions[:hop]
                history = [("History-Info", v) for v in history_info(so_far, so_far[-1].to)]
                self.agent.ring(caller, FORWARDED, headers=history)

    def forget(self, a_leg: str) -> None:
        self._hops_told.pop(a_leg, None)
