"""The messages of the presented number's errors (issue 16 item 4)."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
PRESENTED_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.PRESENTED_CHOICE_INVALID: (
        _E.INVALID,
        "Numéro présenté invalide : « {value} » (possibles : {allowed}).",
        "Invalid presented number: '{value}' (allowed: {allowed}).",
    ),
    ErrorCode.PRESENTED_NOT_A_MEMBER: (
        _E.CONFLICT,
        "La ligne {number} n'est pas membre du groupement « {group} » : elle ne peut présenter "
        "son numéro.",
        "Line {number} is not a member of group '{group}': it cannot present its number.",
    ),
    ErrorCode.PRESENTED_NO_MAIN_NUMBER: (
        _E.CONFLICT,
        "La flotte n'a pas de numéro principal : définissez-le d'abord.",
        "The fleet has no main number: set it first.",
    ),
    ErrorCode.MAIN_NUMBER_NOT_IN_FLEET: (
        _E.INVALID,
        "Le numéro principal doit être un numéro de la flotte (ligne, groupement ou numéro "
        "fixe) : {number} ne l'est pas.",
        "The main number must be a number of the fleet (a line, a group or a fixed number): "
        "{number} is not.",
    ),
    ErrorCode.PRESENTED_LOCKED: (
        _E.FORBIDDEN,
        "Le numéro présenté de la ligne {number} est fixé par le gestionnaire de la flotte.",
        "The presented number of line {number} is set by the fleet's manager.",
    ),
}
