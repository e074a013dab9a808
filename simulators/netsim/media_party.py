"""Who a handset in a call now talks with, as the network sees it: the session description its
far end sent, whose ``o=`` user is the other handset's digits (netsim's handsets write theirs)
or a conference room of the media server. A transfer or a conference, done by FleetPBX with
third-party call control, changes it without a word to the handset: its screen follows the
media. An announcement of the media server (``mrf``) is a passing thing and changes nothing;
neither does the first description a handset hears from a party it does not know (a hidden
caller stays "Numéro masqué")."""

from __future__ import annotations

from fleet.core.numbering import E164
from simulators.netsim.media import CONFERENCE_PREFIX, MEDIA_OWNER
from simulators.netsim.sdp import owner_of

CONFERENCE = "Conférence"  # what a handset shows of a call moved onto a conference room


def heard(before: str | None, other: E164 | None, body: bytes) -> tuple[str | None, str | None]:
    """The owner the handset now hears (``before``: the one it heard last, None: none yet;
    ``other``: the party it knows) and what its screen should show instead (None: as it is)."""
    owner = owner_of(body)
    if owner is None or owner == MEDIA_OWNER:
        return before, None
    if owner.startswith(CONFERENCE_PREFIX):
        return owner, CONFERENCE
    if before is None:
        known = None if other is None else other.value.removeprefix("+")
        if known is None or known == owner:
            return owner, None
    elif before == owner:
        return owner, None
    try:
        number = E164(f"+{owner}")
    except ValueError:
        return owner, None
    return owner, number.national()
