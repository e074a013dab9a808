"""The legs of netsim's calls and the calls they make up. Every leg has a peer (the leg on
the other side of netsim, which relays between them as a back-to-back user agent): what a
leg's far end does is passed to its peer (``peer_…``), which does the same towards its own far
end. Legs are a handset (``handset_leg``), an INVITE netsim received or sent over SIP
(``sip_legs``)."""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

OfferDone = Callable[[bytes | None, int], None]
"""How an offer relayed to a peer ends: the answer's body and 200, or None and the refusal."""


class LegKind(StrEnum):
    HANDSET = "handset"
    SIP_IN = "sip_in"  # an INVITE netsim received (from FleetPBX)
    SIP_OUT = "sip_out"  # an INVITE netsim sent (to FleetPBX)


class LegState(StrEnum):
    CALLING = "calling"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


_WATCHED = frozenset({"state", "held", "on_hold"})  # what its call's watchers are told of


class Leg(ABC):
    """One side of a call in netsim. ``role``: ``caller`` (it placed the call towards its
    peer) or ``callee``. Setting one of ``_WATCHED`` tells its call (:meth:`NetCall.changed`)."""

    kind: LegKind

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _WATCHED:
            self.call.changed()

    def __init__(self, call: NetCall, *, role: str, party: str) -> None:
        self.call = call
        self.id = call.new_leg_id()
        self.role = role
        self.party = party  # the number (national) or URI this leg reaches or comes from
        self.state = LegState.CALLING
        self.cause: int | None = None  # the final status that ended it unanswered
        self.held = False  # its far end put this leg's peer on hold
        self.peer: Leg | None = None
        call.legs.append(self)

    @property
    def ended(self) -> bool:
        return self.state is LegState.ENDED

    def end(self, cause: int | None = None) -> None:
        if self.state is LegState.ENDED:
            return
        if self.state is not LegState.ANSWERED and cause is not None:
            self.cause = cause
        self.state = LegState.ENDED
        self.closed()
        self.call.leg_ended()

    @property
    def offer(self) -> bytes:
        """The session description this leg's call began with from its side (its INVITE's
        offer), as far as it knows one."""
        return b""

    def closed(self) -> None:  # noqa: B027 - a hook for legs holding timers or maps
        """Called once when the leg ends."""

    # -- what the peer's far end did ---------------------------------------------------

    @abstractmethod
    def peer_progress(self, status: int, body: bytes) -> None:
        """The callee side rings (180, 183, 181…)."""

    @abstractmethod
    def peer_answered(self, body: bytes) -> None:
        """The callee side answered with its session ``body``."""

    @abstractmethod
    def peer_refused(self, status: int) -> None:
        """The callee side refused or failed, final ``status``."""

    @abstractmethod
    def peer_gone(self) -> None:
        """The peer's far end hung up (a CANCEL before the answer, a BYE after)."""

    @abstractmethod
    def peer_offer(self, body: bytes, done: OfferDone, *, update: bool = False) -> None:
        """A new offer from the peer's far end (hold, retrieve): offer it to ours and call
        ``done`` with the answer. An empty ``body`` (an offerless re-INVITE, third-party call
        control): ``done`` hears our side's offer, and the answer follows in :meth:`peer_ack`."""

    def peer_ack(self, body: bytes) -> None:  # noqa: B027 - only legs that offered care
        """The answer to the offer this leg gave for an offerless re-INVITE of its peer's far
        end, which came in that re-INVITE's ACK."""

    def view(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "role": self.role,
            "party": self.party,
            "state": self.state.value,
            "held": self.held,
            "cause": self.cause,
        }


def join(caller: Leg, callee: Leg) -> None:
    caller.peer, callee.peer = callee, caller


@dataclass(eq=False)
class NetCall:
    """A call as netsim sees it: its legs (a handset's, and each INVITE through netsim),
    one ICID (P-Charging-Vector) for all of them."""

    id: str
    icid: str
    started: float
    on_idle: Callable[[NetCall], None]
    legs: list[Leg] = field(default_factory=list)
    on_change: Callable[[NetCall], None] | None = None  # a leg changed (the console's hub)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_leg_id(self) -> str:
        return f"{self.id}-{next(self._numbers)}"

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def leg_ended(self) -> None:
        if all(leg.ended for leg in self.legs):
            self.on_idle(self)

    def view(self) -> dict[str, object]:
        return {
            "id": self.id,
            "icid": self.icid,
            "legs": [leg.view() for leg in self.legs],
        }


class Calls:
    """The calls in progress, by id and by ICID, and the latest ended ones."""

    def __init__(self, *, now: Callable[[], float], keep_ended: int = 200) -> None:
        self._now = now
        self._ids = itertools.count(1)
        self.active: dict[str, NetCall] = {}
        self.by_icid: dict[str, NetCall] = {}
        self.ended: deque[NetCall] = deque(maxlen=keep_ended)
        self.on_change: Callable[[NetCall], None] | None = None  # given to each new call

    def new(self, icid: str | None = None) -> NetCall:
        number = next(self._ids)
        call = NetCall(
            id=f"n{number}",
            icid=icid or f"netsim-{number}",
            started=self._now(),
            on_idle=self._idle,
            on_change=self.on_change,
        )
        self.active[call.id] = call
        self.by_icid.setdefault(call.icid, call)
        return call

    def of_icid(self, icid: str | None) -> NetCall:
        """The call that ICID belongs to (a new one when netsim never saw it)."""
        known = self.by_icid.get(icid) if icid else None
        return known if known is not None and known.id in self.active else self.new(icid)

    def _idle(self, call: NetCall) -> None:
        if self.active.pop(call.id, None) is not None:
            if self.by_icid.get(call.icid) is call:
                del self.by_icid[call.icid]
            self.ended.append(call)
