"""Where each fleet line's handset was last seen on SIP, for the engine's question "where is
this line?" (``Network.location``: BAIC-Roam, 351, bars a line's incoming calls while its
handset is abroad; BOIC and BOIC-exHC judge "international" from the visited country; TS
22.088).

The S-CSCF tells FleetPBX nothing of a callee's whereabouts when it is called, so the
adapter remembers, per line, the :class:`~fleet.core.roaming.LineLocation` the latest
P-Access-Network-Info of that line's handset told (:mod:`.whereabouts`: the network's
value first; its mobile country code against ``sip_home_mcc``, the visited country from
it, :mod:`fleet.core.countries`):

- the originating INVITE the S-CSCF sends for the served line (its own call);
- the in-dialog requests of its handset's legs (re-INVITE, UPDATE, INFO, REFER), whether it
  called or was called;
- the provisional (18x) and 2xx responses of a leg ringing the line: the terminating UE puts
  its P-Access-Network-Info in them (TS 24.229 §5.1.4.2, §5.1.4.3), so a line called from
  abroad is known there from its first call.

A line never seen is **unknown** (not known to roam: nothing barred as roaming). A sighting
older than ``max_age`` (24 h by default) is forgotten: unknown again (a handset abroad that
makes and answers no call for a day is no longer known to be abroad). At
most ``limit`` lines are remembered (100,000 by default, a few MB): beyond, the line seen
longest ago is forgotten first; each sighting also drops those older than ``max_age``. A
restart forgets everything (every line unknown until its handset's next request or answer). FleetPBX
is sent no third-party REGISTER (its REGISTER serves the registration-mode trunks' PBXs), so
registrations tell nothing here."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from fleet.core.numbering import E164
from fleet.core.roaming import UNSEEN, LineLocation

MAX_AGE = 24 * 3600.0  # seconds a sighting is trusted
LIMIT = 100_000  # lines remembered


class Sightings:
    """The latest location of each line's handset, with the time (``now``: the agent's
    monotonic clock) it was told."""

    def __init__(
        self,
        *,
        now: Callable[[], float],
        max_age: float = MAX_AGE,
        limit: int = LIMIT,
    ) -> None:
        if max_age <= 0:
            raise ValueError(f"sightings max_age {max_age}: a positive number of seconds")
        if limit < 1:
            raise ValueError(f"sightings limit {limit}: at least one line")
        self._now = now
        self.max_age = max_age
        self.limit = limit
        self._seen: OrderedDict[str, tuple[LineLocation, float]] = OrderedDict()  # oldest first

    def __len__(self) -> int:
        return len(self._seen)

    def saw(self, number: E164, where: LineLocation) -> None:
        """The handset of line ``number`` is ``where`` now."""
        key, now = number.value, self._now()
        self._seen[key] = (where, now)
        self._seen.move_to_end(key)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        while self._seen:  # the oldest sightings first: drop those too old
            _, (_, at) = next(iter(self._seen.items()))
            if now - at <= self.max_age:
                break
            self._seen.popitem(last=False)

    def location(self, number: E164) -> LineLocation:
        """Where line ``number``'s handset was last seen: unknown when never seen, or not for
        ``max_age``."""
        seen = self._seen.get(number.value)
        if seen is None:
            return UNSEEN
        location, at = seen
        if self._now() - at > self.max_age:
            del self._seen[number.value]
            return UNSEEN
        return location
