"""The messages of the fleet import's errors."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
IMPORT_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.IMPORT_ENCODING_INVALID: (
        _E.INVALID,
        "Le fichier n'est pas en UTF-8 (octet invalide à la position {position}).",
        "The file is not UTF-8 (invalid byte at position {position}).",
    ),
    ErrorCode.IMPORT_FORMAT_INVALID: (
        _E.INVALID,
        "Fichier illisible : {detail}.",
        "Unreadable file: {detail}.",
    ),
    ErrorCode.IMPORT_COLUMN_UNKNOWN: (
        _E.INVALID,
        "Colonne inconnue : « {column} » (colonnes possibles : {allowed}).",
        "Unknown column: '{column}' (allowed columns: {allowed}).",
    ),
    ErrorCode.IMPORT_COLUMN_MISSING: (
        _E.INVALID,
        "Colonne obligatoire absente : « {column} ».",
        "Required column missing: '{column}'.",
    ),
    ErrorCode.IMPORT_VALUE_INVALID: (
        _E.INVALID,
        "Valeur invalide pour {name} : « {value} » (attendu : {expected}).",
        "Invalid value for {name}: '{value}' (expected: {expected}).",
    ),
    ErrorCode.IMPORT_DUPLICATE: (
        _E.INVALID,
        "« {value} » figure déjà plus haut dans le fichier ({first}).",
        "'{value}' is already earlier in the file ({first}).",
    ),
    ErrorCode.IMPORT_GROUP_UNKNOWN: (
        _E.INVALID,
        "La flotte n'a pas de groupe d'appel « {name} ».",
        "The fleet has no call group '{name}'.",
    ),
    ErrorCode.IMPORT_LINE_UNKNOWN: (
        _E.INVALID,
        "Le numéro {number} n'est pas une ligne de la flotte.",
        "Number {number} is not a line of the fleet.",
    ),
}
