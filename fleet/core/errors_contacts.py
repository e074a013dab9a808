"""The messages of the company directory's errors (contacts, abbreviated numbers)."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
CONTACT_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.CONTACT_NAME_INVALID: (
        _E.INVALID,
        "Nom de contact invalide : de 1 à {max} caractères.",
        "Invalid contact name: 1 to {max} characters.",
    ),
    ErrorCode.CONTACT_TEXT_TOO_LONG: (
        _E.INVALID,
        "{max} caractères au plus.",
        "At most {max} characters.",
    ),
    ErrorCode.CONTACT_ABBREVIATED_INVALID: (
        _E.INVALID,
        "Numéro abrégé invalide : un nombre de {low} à {high}.",
        "Invalid abbreviated number: a number from {low} to {high}.",
    ),
    ErrorCode.CONTACT_NUMBER_IN_USE: (
        _E.CONFLICT,
        "L'annuaire a déjà un contact au numéro {number}.",
        "The directory already has a contact at {number}.",
    ),
    ErrorCode.CONTACT_LIMIT_REACHED: (
        _E.CONFLICT,
        "L'annuaire de la flotte compte déjà {max} contacts : supprimez-en un d'abord.",
        "The fleet's directory already has {max} contacts: delete one first.",
    ),
}
