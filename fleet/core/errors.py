"""Domain errors: a stable code, a kind, and a message in French and English.

Domain errors carry no transport status (HTTP, SMPP, SIP). Each edge translates
``ErrorKind`` (or the code itself) through one table of its own.
"""

from __future__ import annotations

from typing import Any

from fleet.core.entities import entity_names
from fleet.core.error_codes import ErrorCode, ErrorKind
from fleet.core.errors_contacts import CONTACT_ERRORS
from fleet.core.errors_import import IMPORT_ERRORS
from fleet.core.errors_presented import PRESENTED_ERRORS
from fleet.core.errors_restrictions import RESTRICTION_ERRORS
from fleet.core.errors_schedules import SCHEDULE_ERRORS
from fleet.core.errors_trunks import TRUNK_ERRORS
from fleet.core.errors_voicemail import VOICEMAIL_ERRORS
from fleet.core.values import Language

__all__ = ["DomainError", "ErrorCode", "ErrorKind", "catalogue", "not_found"]


_E = ErrorKind
# code -> (kind, French message, English message). Messages take str.format fields.
_CATALOGUE: dict[ErrorCode, tuple[ErrorKind, str, str]] = {
    ErrorCode.NUMBER_REQUIRED: (_E.INVALID, "Saisissez un numéro.", "Enter a number."),
    ErrorCode.NUMBER_INVALID: (
        _E.INVALID,
        "« {number} » n'est pas un numéro valide.",
        "'{number}' is not a valid number.",
    ),
    ErrorCode.NUMBER_SHORT_NOT_ALLOWED: (
        _E.INVALID,
        "Numéro court non disponible : saisissez un numéro à {length} chiffres.",
        "Short numbers are not allowed here: enter a {length}-digit number.",
    ),
    ErrorCode.NUMBER_INTERNATIONAL_NOT_ALLOWED: (
        _E.INVALID,
        "Les numéros internationaux ne sont pas autorisés ici.",
        "International numbers are not allowed here.",
    ),
    ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED: (
        _E.INVALID,
        "Les numéros spéciaux ({prefix}…) ne sont pas autorisés.",
        "Special numbers ({prefix}…) are not allowed.",
    ),
    ErrorCode.NUMBER_PREFIX_NOT_ALLOWED: (
        _E.INVALID,
        "Saisissez un numéro à {length} chiffres commençant par {prefixes}.",
        "Enter a {length}-digit number starting with {prefixes}.",
    ),
    ErrorCode.NUMBER_NOT_MOBILE: (
        _E.INVALID,
        "« {number} » n'est pas un numéro mobile.",
        "'{number}' is not a mobile number.",
    ),
    ErrorCode.NUMBER_NOT_FIXED: (
        _E.INVALID,
        "« {number} » n'est pas un numéro fixe.",
        "'{number}' is not a fixed-line number.",
    ),
    ErrorCode.NUMBER_IN_USE: (
        _E.CONFLICT,
        "Le numéro {number} est déjà utilisé.",
        "Number {number} is already in use.",
    ),
    ErrorCode.NUMBER_NOT_IN_VPN: (
        _E.INVALID,
        "Le numéro {number} n'appartient pas au réseau de l'entreprise (VPN).",
        "Number {number} is not in the company network (VPN).",
    ),
    ErrorCode.SHORT_NUMBER_INVALID: (
        _E.INVALID,
        "Le numéro court doit compter {length} chiffres et ne pas commencer par 0.",
        "The short number must have {length} digits and not start with 0.",
    ),
    ErrorCode.SHORT_NUMBER_IN_USE: (
        _E.CONFLICT,
        "Le numéro court {short_number} est déjà attribué dans cette flotte.",
        "Short number {short_number} is already assigned in this fleet.",
    ),
    ErrorCode.FLEET_NAME_INVALID: (
        _E.INVALID,
        "Le nom de la flotte doit compter de 1 à {max} caractères.",
        "The fleet name must be 1 to {max} characters long.",
    ),
    ErrorCode.CURSOR_INVALID: (
        _E.INVALID,
        "Cette page n'existe pas (lien de pagination invalide).",
        "This page does not exist (invalid paging link).",
    ),
    ErrorCode.SHORT_NUMBER_LENGTH_INVALID: (
        _E.INVALID,
        "La longueur des numéros courts doit être comprise entre {min} et {max}.",
        "The short-number length must be between {min} and {max}.",
    ),
    ErrorCode.SHORT_NUMBER_LENGTH_LOCKED: (
        _E.CONFLICT,
        "La longueur des numéros courts ne peut pas changer "
        "tant que des numéros courts sont attribués.",
        "The short-number length cannot change while short numbers are assigned.",
    ),
    ErrorCode.TIMEZONE_INVALID: (
        _E.INVALID,
        "Fuseau horaire inconnu : « {timezone} ».",
        "Unknown time zone: '{timezone}'.",
    ),
    ErrorCode.LANGUAGE_INVALID: (
        _E.INVALID,
        "Langue non prise en charge : « {language} » (fr ou en).",
        "Unsupported language: '{language}' (fr or en).",
    ),
    ErrorCode.EMPLOYEE_NAME_INVALID: (
        _E.INVALID,
        "Le nom du collaborateur doit compter de 1 à {max} caractères.",
        "The employee name must be 1 to {max} characters long.",
    ),
    ErrorCode.EMAIL_INVALID: (
        _E.INVALID,
        "Adresse e-mail invalide : « {email} ».",
        "Invalid e-mail address: '{email}'.",
    ),
    ErrorCode.LABEL_INVALID: (
        _E.INVALID,
        "Le libellé doit compter de 1 à {max} caractères.",
        "The label must be 1 to {max} characters long.",
    ),
    ErrorCode.TRUNK_NAME_INVALID: (
        _E.INVALID,
        "Nom de trunk SIP invalide : lettres, chiffres, « . », « - » ou « _ », "
        "{max} caractères au plus.",
        "Invalid SIP trunk name: letters, digits, '.', '-' or '_', at most {max} characters.",
    ),
    ErrorCode.PABX_OPTION_REQUIRED: (
        _E.INVALID,
        "La ligne {number} ne dispose pas de l'option PABX mobile.",
        "Line {number} does not have the mobile PABX option.",
    ),
    ErrorCode.LINE_IN_GROUPS: (
        _E.CONFLICT,
        "La ligne {number} est membre de groupes d'appel ({groups}) : retirez-la d'abord.",
        "Line {number} is a member of call groups ({groups}): remove it first.",
    ),
    ErrorCode.LINE_IS_GROUP_NUMBER: (
        _E.CONFLICT,
        "Le numéro de la ligne {number} est le numéro du groupe « {group} ».",
        "Line {number} is the number of call group '{group}'.",
    ),
    ErrorCode.SETTING_VALUE_INVALID: (
        _E.INVALID,
        "Le réglage {setting} attend une valeur de type {type}.",
        "Setting {setting} takes a value of type {type}.",
    ),
    ErrorCode.SETTING_CHOICE_INVALID: (
        _E.INVALID,
        "Le réglage {setting} prend l'une des valeurs : {choices}.",
        "Setting {setting} takes one of: {choices}.",
    ),
    ErrorCode.FORWARDING_KIND_INVALID: (
        _E.INVALID,
        "Type de renvoi inconnu : « {kind} ».",
        "Unknown forwarding type: '{kind}'.",
    ),
    ErrorCode.FORWARDING_DESTINATION_REQUIRED: (
        _E.INVALID,
        "Saisissez le numéro de destination du renvoi.",
        "Enter the forwarding destination number.",
    ),
    ErrorCode.FORWARDING_TO_SELF: (
        _E.INVALID,
        "Une ligne ne peut pas être renvoyée vers elle-même.",
        "A line cannot be forwarded to itself.",
    ),
    ErrorCode.NO_REPLY_TIMER_INVALID: (
        _E.INVALID,
        "Le délai de non-réponse doit être compris entre {min} et {max} secondes.",
        "The no-reply timer must be between {min} and {max} seconds.",
    ),
    ErrorCode.NO_REPLY_TIMER_NOT_APPLICABLE: (
        _E.INVALID,
        "Le délai ne s'applique qu'au renvoi sur non-réponse.",
        "A timer applies only to no-reply forwarding.",
    ),
    ErrorCode.LIST_TOO_LONG: (
        _E.INVALID,
        "La liste d'appels compte au plus {max} numéros.",
        "The incoming-call list holds at most {max} numbers.",
    ),
    ErrorCode.LIST_EMPTY: (
        _E.INVALID,
        "Ajoutez au moins un numéro avant d'activer la liste.",
        "Add at least one number before activating the list.",
    ),
    ErrorCode.LIST_DUPLICATE_ENTRY: (
        _E.INVALID,
        "Le numéro {number} figure deux fois dans la liste.",
        "Number {number} appears twice in the list.",
    ),
    ErrorCode.LIST_MODE_INVALID: (
        _E.INVALID,
        "Mode de distribution inconnu : « {mode} » (simultané ou séquentiel).",
        "Unknown ring mode: '{mode}' (simultaneous or sequential).",
    ),
    ErrorCode.RING_TIME_INVALID: (
        _E.INVALID,
        "La durée de sonnerie par poste doit être comprise entre {min} et {max} secondes.",
        "The ring time per step must be between {min} and {max} seconds.",
    ),
    ErrorCode.GROUP_NAME_INVALID: (
        _E.INVALID,
        "Le nom du groupe doit compter de 1 à {max} caractères.",
        "The group name must be 1 to {max} characters long.",
    ),
    ErrorCode.GROUP_NAME_IN_USE: (
        _E.CONFLICT,
        "Un groupe « {name} » existe déjà dans cette flotte.",
        "A group named '{name}' already exists in this fleet.",
    ),
    ErrorCode.GROUP_CODE_INVALID: (
        _E.INVALID,
        "Le {which} doit compter exactement 4 chiffres.",
        "The {which_en} must be exactly 4 digits.",
    ),
    ErrorCode.GROUP_CODES_IDENTICAL: (
        _E.INVALID,
        "Le code de connexion utilisateur et le code administratif doivent être différents.",
        "The user connection code and the administrative code must differ.",
    ),
    ErrorCode.GROUP_QUEUE_INVALID: (
        _E.INVALID,
        "La file d'attente compte de {min} à {max} positions.",
        "The queue holds {min} to {max} positions.",
    ),
    ErrorCode.GROUP_SWITCHOVER_DELAY_INVALID: (
        _E.INVALID,
        "Le délai avant basculement doit être compris entre {min} et {max} secondes.",
        "The delay before switchover must be between {min} and {max} seconds.",
    ),
    ErrorCode.GROUP_INTERCALL_DELAY_INVALID: (
        _E.INVALID,
        "Le délai inter-appels doit être compris entre {min} et {max} secondes.",
        "The inter-call delay must be between {min} and {max} seconds.",
    ),
    ErrorCode.GROUP_MAX_WAIT_INVALID: (
        _E.INVALID,
        "L'attente maximale en file doit être comprise entre {min} et {max} secondes.",
        "The maximum queue wait must be between {min} and {max} seconds.",
    ),
    ErrorCode.GROUP_DISTRIBUTION_INVALID: (
        _E.INVALID,
        "Mode de distribution inconnu : « {mode} ».",
        "Unknown distribution mode: '{mode}'.",
    ),
    ErrorCode.GROUP_NO_ANSWER_INVALID: (
        _E.INVALID,
        "Règle de non-réponse incomplète : {detail}.",
        "Incomplete no-answer rule: {detail_en}.",
    ),
    ErrorCode.GROUP_NO_ANSWER_SELF: (
        _E.INVALID,
        "Un groupe ne peut pas déborder vers lui-même.",
        "A group cannot overflow to itself.",
    ),
    ErrorCode.GROUP_FULL: (
        _E.INVALID,
        "Un groupe d'appel compte au plus {max} membres.",
        "A call group holds at most {max} members.",
    ),
    ErrorCode.GROUP_MEMBER_DUPLICATE: (
        _E.CONFLICT,
        "La ligne {number} est déjà membre du groupe.",
        "Line {number} is already a member of the group.",
    ),
    ErrorCode.GROUP_MEMBER_OTHER_FLEET: (
        _E.INVALID,
        "La ligne {number} n'appartient pas à la flotte du groupe.",
        "Line {number} does not belong to the group's fleet.",
    ),
    ErrorCode.GROUP_NUMBER_NOT_MEMBER: (
        _E.INVALID,
        "Le numéro {number} est celui d'une ligne qui n'est pas membre du groupe.",
        "Number {number} belongs to a line that is not a member of the group.",
    ),
    ErrorCode.GROUP_NUMBER_MEMBER_REQUIRED: (
        _E.CONFLICT,
        "La ligne {number} porte le numéro du groupe : elle doit rester membre.",
        "Line {number} carries the group's number: it must stay a member.",
    ),
    ErrorCode.GROUP_IS_OVERFLOW_TARGET: (
        _E.CONFLICT,
        "Le groupe sert de débordement au groupe « {group} ».",
        "The group is the no-answer target of group '{group}'.",
    ),
    ErrorCode.NOT_A_MEMBER: (
        _E.NOT_FOUND,
        "La ligne {number} n'est pas membre du groupe.",
        "Line {number} is not a member of the group.",
    ),
    ErrorCode.CODE_WRONG: (
        _E.FORBIDDEN,
        "Code incorrect ({left} essai(s) restant(s)).",
        "Wrong code ({left} attempt(s) left).",
    ),
    ErrorCode.CODE_LOCKED: (
        _E.FORBIDDEN,
        "Trop de codes erronés : codes bloqués jusqu'à {until}.",
        "Too many wrong codes: codes locked until {until}.",
    ),
    ErrorCode.LOGIN_INVALID: (
        _E.INVALID,
        "Identifiant invalide : 3 à {max} caractères (lettres, chiffres, . _ - @).",
        "Invalid login: 3 to {max} characters (letters, digits, . _ - @).",
    ),
    ErrorCode.LOGIN_IN_USE: (
        _E.CONFLICT,
        "L'identifiant « {login} » est déjà utilisé.",
        "Login '{login}' is already in use.",
    ),
    ErrorCode.PASSWORD_TOO_WEAK: (
        _E.INVALID,
        "Le mot de passe doit compter au moins {min} caractères.",
        "The password must be at least {min} characters long.",
    ),
    ErrorCode.PASSWORD_WRONG: (
        _E.FORBIDDEN,
        "Mot de passe incorrect.",
        "Wrong password.",
    ),
    ErrorCode.ACCOUNT_LOCKED: (
        _E.FORBIDDEN,
        "Trop d'essais : compte bloqué depuis cette adresse jusqu'à {until}.",
        "Too many attempts: account locked from this address until {until}.",
    ),
    ErrorCode.LOGIN_THROTTLED: (
        _E.FORBIDDEN,
        "Trop d'essais depuis cette adresse : réessayez dans {seconds} s.",
        "Too many attempts from this address: try again in {seconds} s.",
    ),
    ErrorCode.LOGIN_BUSY: (
        _E.UNAVAILABLE,
        "Trop de connexions en cours : réessayez dans {seconds} s.",
        "Too many sign-ins under way: try again in {seconds} s.",
    ),
    ErrorCode.ACCOUNT_FLEETS_REQUIRED: (
        _E.INVALID,
        "Un gestionnaire doit administrer au moins une flotte.",
        "A fleet manager must manage at least one fleet.",
    ),
    ErrorCode.ACCOUNT_LINE_REQUIRED: (
        _E.INVALID,
        "Un compte collaborateur est rattaché à exactement une ligne.",
        "An employee account is tied to exactly one line.",
    ),
    ErrorCode.ACCOUNT_SELF: (
        _E.CONFLICT,
        "Vous ne pouvez pas désactiver ni supprimer votre propre compte.",
        "You cannot disable or delete your own account.",
    ),
    ErrorCode.NOT_FOUND: (
        _E.NOT_FOUND,
        "{entity_fr} introuvable : {key}.",
        "{entity_en} not found: {key}.",
    ),
    ErrorCode.CONFLICT: (
        _E.CONFLICT,
        "La modification entre en conflit avec des données existantes.",
        "The change conflicts with existing data.",
    ),
    ErrorCode.DATABASE_UNAVAILABLE: (
        _E.UNAVAILABLE,
        "La base de données est indisponible.",
        "The database is unavailable.",
    ),
    **TRUNK_ERRORS,
    **SCHEDULE_ERRORS,
    **PRESENTED_ERRORS,
    **CONTACT_ERRORS,
    **RESTRICTION_ERRORS,
    **VOICEMAIL_ERRORS,
    **IMPORT_ERRORS,
}


class DomainError(Exception):
    """A rule was broken. ``field`` names the input that caused it, when there is one."""

    def __init__(self, code: ErrorCode, *, field: str | None = None, **params: Any) -> None:
        self.code = code
        self.field = field
        self.params = params
        super().__init__(self.message(Language.EN))

    @property
    def kind(self) -> ErrorKind:
        return _CATALOGUE[self.code][0]

    def message(self, language: Language = Language.FR) -> str:
        _, fr, en = _CATALOGUE[self.code]
        template = fr if language is Language.FR else en
        return template.format(**self.params)

    def __repr__(self) -> str:
        return f"DomainError({self.code.value!r}, field={self.field!r}, params={self.params!r})"


def not_found(entity: str, key: object, *, field: str | None = None) -> DomainError:
    """``entity`` (``line``, ``call_group``…) not found by ``key``: named in each language."""
    names = entity_names(entity)
    return DomainError(ErrorCode.NOT_FOUND, field=field, entity=entity, key=key, **names)


def catalogue() -> dict[ErrorCode, tuple[ErrorKind, str, str]]:
    """The full table, for documentation and tests."""
    return dict(_CATALOGUE)
