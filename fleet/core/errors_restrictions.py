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
    ErrorCode.DESTINATION_BARRED: (
        _E.INVALID,
        "La {barring_fr} de la ligne interdit le numéro {number}.",
        "The line's {barring_en} does not allow number {number}.",
    ),
    ErrorCode.BARRING_PASSWORD_WRONG: (
        _E.FORBIDDEN,
        "Mot de passe d'interdiction erroné ({left} essai(s) restant(s)).",
        "Wrong barring password ({left} attempt(s) left).",
    ),
    ErrorCode.BARRING_PASSWORD_INVALID: (
        _E.INVALID,
        "Le mot de passe d'interdiction compte {digits} chiffres.",
        "The barring password has {digits} digits.",
    ),
    ErrorCode.BARRING_PASSWORD_MISMATCH: (
        _E.INVALID,
        "Les deux saisies du nouveau mot de passe d'interdiction diffèrent.",
        "The two entries of the new barring password differ.",
    ),
    ErrorCode.BARRING_LOCKED: (
        _E.FORBIDDEN,
        "Trop de mots de passe d'interdiction erronés : interdictions bloquées jusqu'à {until}.",
        "Too many wrong barring passwords: barring locked until {until}.",
    ),
}
