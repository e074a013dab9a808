"""What a transaction leaves in the transaction layer while it waits out its last timer (D, I,
J, K, L; RFC 3261 §17, RFC 6026): a plain tuple of strings, bytes and numbers in the layer's maps
in place of the transaction object.

Every call leaves several transactions waiting up to 32 s (64*T1) only to absorb or answer
retransmissions: at hundreds of calls a second, tens of thousands of them. As objects, each
is one more object the garbage collector tracks and every full pass walks; a tuple holding only
strings, bytes and numbers is untracked by the collector after its first pass. A
:data:`Remains` answers what may still come as the transaction would have (its
:class:`fleet.sip.transaction_base.Left` kind): an INVITE or ACK retransmission absorbed, an ACK
for a 2xx passed to the TU, a final response or an ACK resent from its bytes, a response
retransmission absorbed. :class:`Remnants` keeps them for their delay, first in first out
(:class:`fleet.sip.linger.Linger`), and takes each out of the layer's maps when its time is up."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final

from fleet.sip.linger import Linger
from fleet.sip.transaction_base import Left, Leftover
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_ports import Scheduler
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.transport_types import Peer, Transport

ServerKey = tuple[Hashable, ...]
MergeKey = tuple[str | None, str | None, int, str]
ClientKey = tuple[Hashable, ...]  # the branch and the method

Remains = tuple[
    int, tuple[Hashable, ...], MergeKey | None, bytes | None, str | None, str, str, int, float
]
"""``(kind, key, merge key, bytes to resend, To, transport, host, port, until)``: the
:class:`fleet.sip.transaction_base.Left` kind as its int (an enum member would keep the tuple
tracked), the transaction's key in the layer (a server key, or a client's branch and method),
its merge key (RFC 3261 §8.2.2.2, server only), the bytes it resends, the To of its final
response, its peer's transport, host and port, and when its last timer ends. A plain tuple, not
a named one: only exact tuples are untracked by the collector."""

KIND: Final = 0
KEY: Final = 1
MERGE: Final = 2
DATA: Final = 3
TO: Final = 4
TRANSPORT: Final = 5
HOST: Final = 6
PORT: Final = 7
UNTIL: Final = 8
SERVER_KINDS = (Left.ACCEPTED, Left.CONFIRMED, Left.COMPLETED)


def remains_of(
    leftover: Leftover,
    key: tuple[Hashable, ...],
    merge_key: MergeKey | None,
    peer: Peer,
    until: float,
) -> Remains:
    kind, data, to = leftover
    return (int(kind), key, merge_key, data, to, peer.transport.value, peer.host, peer.port, until)


def peer_of(remains: Remains) -> Peer:
    """The peer the transaction sent to (made again: a ``Peer`` in the tuple would keep it
    tracked)."""
    return Peer(Transport(remains[TRANSPORT]), remains[HOST], remains[PORT])


class Remnants:
    """The layer's :data:`Remains`, one :class:`fleet.sip.linger.Linger` per delay; when one's
    time is up it leaves the layer's server, merge or client map (unless something else took
    its key since)."""

    __slots__ = ("_by_delay", "_clients", "_merge", "_scheduler", "_servers")

    def __init__(
        self,
        scheduler: Scheduler,
        servers: dict[ServerKey, ServerTransaction | Remains],
        merge: dict[MergeKey, ServerTransaction | Remains],
        clients: dict[ClientKey, ClientTransaction | Remains],
    ) -> None:
        self._scheduler = scheduler
        self._servers = servers
        self._merge = merge
        self._clients = clients
        self._by_delay: dict[float, Linger[Remains]] = {}

    def add(self, remains: Remains, delay: float) -> None:
        linger = self._by_delay.get(delay)
        if linger is None:
            linger = self._by_delay[delay] = Linger(self._scheduler, delay, self.drop)
        linger.add(remains)

    def drop(self, remains: Remains) -> None:
        """Out of the layer's maps (its time is up, or resending failed)."""
        key = remains[KEY]
        if remains[KIND] in SERVER_KINDS:
            if self._servers.get(key) is remains:
                del self._servers[key]
        elif self._clients.get(key) is remains:
            del self._clients[key]
        merge_key = remains[MERGE]
        if merge_key is not None and self._merge.get(merge_key) is remains:
            del self._merge[merge_key]

    def __len__(self) -> int:
        """Remains waiting (those dropped early included, until their time)."""
        return sum(len(linger) for linger in self._by_delay.values())
