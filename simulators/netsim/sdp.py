"""The session descriptions netsim's handsets and media server offer and answer: audio on
127.0.0.1 (nothing is sent: signalling only), the direction attribute carried for hold."""

from __future__ import annotations

import re
from enum import StrEnum

SDP = "application/sdp"


class Direction(StrEnum):
    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def mirrored(self) -> Direction:
        """The direction an answer takes to an offer of this one (RFC 3264 §6.1)."""
        return _MIRROR[self]

    @property
    def holding(self) -> bool:
        """An offer of this direction puts the answerer on hold."""
        return self in (Direction.SENDONLY, Direction.INACTIVE)


_MIRROR = {
    Direction.SENDRECV: Direction.SENDRECV,
    Direction.SENDONLY: Direction.RECVONLY,
    Direction.RECVONLY: Direction.SENDONLY,
    Direction.INACTIVE: Direction.INACTIVE,
}
_DIRECTION = re.compile(rb"^a=(sendrecv|sendonly|recvonly|inactive)\r?$", re.MULTILINE)
_OWNER = re.compile(rb"^o=(\S+) ", re.MULTILINE)


def direction_of(body: bytes) -> Direction:
    """The session's direction (sendrecv when none is written)."""
    found = _DIRECTION.search(body)
    return Direction(found.group(1).decode()) if found else Direction.SENDRECV


def owner_of(body: bytes) -> str | None:
    """The session's owner (its ``o=`` user: a handset's digits, or the media server's)."""
    found = _OWNER.search(body)
    return found.group(1).decode("ascii", "replace") if found else None


def session(owner: str, version: int, port: int, direction: Direction) -> bytes:
    """An audio session of ``owner`` (its o= user), ``version`` growing with each offer."""
    lines = [
        "v=0",
        f"o={owner} 1 {version} IN IP4 127.0.0.1",
        "s=netsim",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        f"m=audio {port} RTP/AVP 0 8 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        f"a={direction.value}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()
