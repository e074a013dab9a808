"""The messages of the schedules' errors."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
SCHEDULE_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.SCHEDULE_NAME_INVALID: (
        _E.INVALID,
        "Nom d'horaire invalide : de 1 à {max} caractères.",
        "Invalid schedule name: 1 to {max} characters.",
    ),
    ErrorCode.SCHEDULE_NAME_IN_USE: (
        _E.CONFLICT,
        "La flotte a déjà un horaire « {name} ».",
        "The fleet already has a schedule '{name}'.",
    ),
    ErrorCode.SCHEDULE_TIME_INVALID: (
        _E.INVALID,
        "Heure invalide : « {value} » (HH:MM, de 00:00 à 24:00).",
        "Invalid time: '{value}' (HH:MM, 00:00 to 24:00).",
    ),
    ErrorCode.SCHEDULE_RANGE_INVALID: (
        _E.INVALID,
        "La plage {start}–{end} doit finir après son début.",
        "Range {start}–{end} must end after it starts.",
    ),
    ErrorCode.SCHEDULE_RANGES_OVERLAP: (
        _E.INVALID,
        "Les plages {first} et {second} se recouvrent.",
        "Ranges {first} and {second} overlap.",
    ),
    ErrorCode.SCHEDULE_TOO_MANY_RANGES: (
        _E.INVALID,
        "{max} plages par jour au plus.",
        "At most {max} ranges a day.",
    ),
    ErrorCode.SCHEDULE_HOLIDAY_INVALID: (
        _E.INVALID,
        "Jours fériés du {first} au {last} : la fin ne peut précéder le début "
        "(une période annuelle dure moins d'un an).",
        "Holidays from {first} to {last}: the end cannot come before the start "
        "(a yearly period lasts less than a year).",
    ),
    ErrorCode.SCHEDULE_HOLIDAY_LABEL_INVALID: (
        _E.INVALID,
        "Intitulé de jour férié invalide : {max} caractères au plus.",
        "Invalid holiday label: at most {max} characters.",
    ),
    ErrorCode.SCHEDULE_TOO_MANY_HOLIDAYS: (
        _E.INVALID,
        "{max} jours fériés ou périodes par horaire au plus.",
        "At most {max} holidays or periods per schedule.",
    ),
    ErrorCode.SCHEDULE_LIMIT_REACHED: (
        _E.CONFLICT,
        "La flotte a déjà {max} horaires (horaires opposés compris) : supprimez-en un d'abord.",
        "The fleet already has {max} schedules (opposites included): delete one first.",
    ),
    ErrorCode.SCHEDULE_OPPOSITE_FIXED: (
        _E.INVALID,
        "« {name} » est l'horaire opposé de « {source} » : modifiez les plages et les jours "
        "fériés de « {source} ».",
        "'{name}' is the opposite of '{source}': change the ranges and holidays of '{source}'.",
    ),
    ErrorCode.SCHEDULE_IN_USE: (
        _E.CONFLICT,
        "L'horaire « {name} » est utilisé par : {users}. Retirez-le de ces règles d'abord.",
        "Schedule '{name}' is used by: {users}. Remove it from those rules first.",
    ),
    ErrorCode.CRITERIA_TARGET_INVALID: (
        _E.INVALID,
        "Règle inconnue : « {value} ».",
        "Unknown rule: '{value}'.",
    ),
    ErrorCode.CRITERIA_CALLERS_INVALID: (
        _E.INVALID,
        "Filtre d'appelants inconnu : « {value} » (tous, numéros, masqués, dans ou hors VPN).",
        "Unknown caller filter: '{value}' (any, numbers, hidden, inside or outside the VPN).",
    ),
    ErrorCode.CRITERIA_NUMBERS_INVALID: (
        _E.INVALID,
        "Donnez de 1 à {max} numéros d'appelants.",
        "Give 1 to {max} caller numbers.",
    ),
    ErrorCode.CRITERIA_NUMBERS_UNEXPECTED: (
        _E.INVALID,
        "Une liste de numéros ne va qu'avec le filtre « numéros spécifiques ».",
        "A list of numbers goes only with the 'specific numbers' filter.",
    ),
    ErrorCode.CRITERIA_SCHEDULE_UNKNOWN: (
        _E.INVALID,
        "Horaire {schedule} inconnu dans cette flotte.",
        "Schedule {schedule} is not one of this fleet's.",
    ),
    ErrorCode.CRITERIA_NAME_INVALID: (
        _E.INVALID,
        "Nom de critère trop long : {max} caractères au plus.",
        "Criterion name too long: {max} characters at most.",
    ),
    ErrorCode.CRITERIA_TOO_MANY: (
        _E.INVALID,
        "Une règle a {max} critères au plus : retirez-en un d'abord.",
        "A rule has {max} criteria at most: remove one first.",
    ),
}
