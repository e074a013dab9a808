"""Who a handset in a call now talks with, as the network sees it: the session description its
far end sent, whose ``o=`` user is the other handset's digits (netsim's handsets write theirs)
or a conference room of the media server. A transfer or a conference, done by FleetPBX with
third-party call control, changes it without a word to the handset: its screen follows the
media. An announcement of the media server (``mrf``) is a passing thing and changes nothing;
what is compared is whom the handset talked with when its call was set up (the offer it was
called with, the answer it got), so a party that did not change never shows on the screen (a
hidden caller stays "Numéro masqué", a forwarded call shows what the caller dialled)."""

from __future__ import annotations

from fleet.core.numbering import E164
from simulators.netsim.media import CONFERENCE_PREFIX, MEDIA_OWNER
from simulators.netsim.sdp import owner_of

CONFERENCE = "Conférence"  # what a handset shows of a call moved onto a conference room


def first_owner(body: bytes) -> str | None:
    """Whom a handset talks with when its call is set up (the offer it was called with, the
    answer to its own): what later descriptions are compared with."""
    owner = owner_of(body)
    return None if owner == MEDIA_OWNER else owner


def heard(before: str | None, body: bytes) -> tuple[str | None, str | None]:
    """The owner the handset now hears (``before``: the one it heard last, None: none yet)
    and what its screen should show instead (None: as it is)."""
    owner = owner_of(body)
    if owner is None or owner == MEDIA_OWNER:
        return before, None
    if owner.startswith(CONFERENCE_PREFIX):
        return owner, CONFERENCE
    known = before is not None and (before.isdigit() or before.startswith(CONFERENCE_PREFIX))
    if not known or before == owner:  # a party never told apart: nothing to show
        return owner, None
    try:
        number = E164(f"+{owner}")
    except ValueError:
        return owner, None
    return owner, number.national()
