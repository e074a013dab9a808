"""The messages of the restriction profiles' and the call barring's errors (issue 16)."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
RESTRICTION_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.DESTINATION_RESTRICTED: (
        _E.INVALID,
        "Le profil de restriction de la ligne (« {profile_fr} ») interdit le numéro {number}.",
        "The line's restriction profile ('{profile_en}') does not allow number {number}.",
    ),
}
