"""The messages of the SIP trunks' errors."""

from __future__ import annotations

from fleet.core.error_codes import ErrorCode, ErrorKind

_E = ErrorKind

# code -> (kind, French message, English message), merged into ``fleet.core.errors``' table.
TRUNK_ERRORS: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.TRUNK_UNKNOWN: (
        _E.INVALID,
        "La flotte n'a pas de trunk SIP « {trunk} » : créez-le d'abord.",
        "The fleet has no SIP trunk '{trunk}': create it first.",
    ),
    ErrorCode.TRUNK_IN_USE: (
        _E.CONFLICT,
        "Le trunk SIP « {trunk} » dessert des numéros fixes ({numbers}) : "
        "rattachez-les d'abord à un autre trunk.",
        "SIP trunk '{trunk}' serves fixed numbers ({numbers}): move them to another trunk first.",
    ),
    ErrorCode.TRUNK_NAME_IN_USE: (
        _E.CONFLICT,
        "La flotte a déjà un trunk SIP « {trunk} ».",
        "The fleet already has a SIP trunk '{trunk}'.",
    ),
    ErrorCode.TRUNK_HOST_INVALID: (
        _E.INVALID,
        "Adresse du PABX invalide : « {host} » (nom d'hôte ou adresse IP).",
        "Invalid PBX address: '{host}' (a host name or an IP address).",
    ),
    ErrorCode.TRUNK_HOST_REQUIRED: (
        _E.INVALID,
        "Un trunk statique a besoin de l'adresse du PABX.",
        "A static trunk needs the PBX's address.",
    ),
    ErrorCode.TRUNK_PORT_INVALID: (
        _E.INVALID,
        "Port invalide : de {min} à {max}.",
        "Invalid port: {min} to {max}.",
    ),
    ErrorCode.TRUNK_CREDENTIALS_REQUIRED: (
        _E.INVALID,
        "Un trunk par enregistrement a besoin d'un nom d'utilisateur et d'un secret.",
        "A registration trunk needs a username and a secret.",
    ),
    ErrorCode.TRUNK_REALM_REQUIRED: (
        _E.INVALID,
        "Un nom d'utilisateur Digest va avec un domaine (realm).",
        "A Digest username needs a realm.",
    ),
    ErrorCode.TRUNK_USERNAME_INVALID: (
        _E.INVALID,
        "Nom d'utilisateur ou domaine invalide : 1 à {max} caractères visibles, sans espace.",
        "Invalid username or realm: 1 to {max} visible characters, no spaces.",
    ),
    ErrorCode.TRUNK_USERNAME_IN_USE: (
        _E.CONFLICT,
        "Le nom d'utilisateur « {username} » est déjà celui d'un autre trunk.",
        "Username '{username}' is already another trunk's.",
    ),
    ErrorCode.TRUNK_SECRET_INVALID: (
        _E.INVALID,
        "Le secret doit compter de 1 à {max} caractères.",
        "The secret must be 1 to {max} characters long.",
    ),
    ErrorCode.TRUNK_SECRET_KEY_MISSING: (
        _E.INVALID,
        "Aucune clé de chiffrement des secrets : renseignez le paramètre {setting}.",
        "No key to encrypt the secrets with: set the {setting} setting.",
    ),
    ErrorCode.TRUNK_VALUE_INVALID: (
        _E.INVALID,
        "Valeur invalide pour {name} : « {value} » (possibles : {allowed}).",
        "Invalid value for {name}: '{value}' (allowed: {allowed}).",
    ),
}
