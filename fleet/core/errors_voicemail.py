"""The messages of the voicemail destination's errors (issue 16 item 7)."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
VOICEMAIL_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.FORWARDING_TARGET_INVALID: (
        _E.INVALID,
        "Destination de renvoi inconnue : « {target} » (numéro ou messagerie).",
        "Unknown forwarding target: '{target}' (number or voicemail).",
    ),
    ErrorCode.VOICEMAIL_NOT_CONFIGURED: (
        _E.INVALID,
        "La messagerie vocale n'est pas proposée sur ce service.",
        "Voicemail is not offered on this service.",
    ),
}
