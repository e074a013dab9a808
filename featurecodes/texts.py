"""What a handset shows, in French or English; every answer fits one USSD screen."""

from __future__ import annotations

from featurecodes.gsm7 import fit_ussd
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import Forwarding
from fleet.core.values import ForwardingKind, Language

_TEXTS: dict[str, tuple[str, str]] = {
    "unknown_line": (
        "Service non disponible pour ce numéro.",
        "Service not available for this number.",
    ),
    "not_supported": (
        "Opération non prise en charge pour ce service.",
        "Operation not supported for this service.",
    ),
    "unknown_code": (
        "Code inconnu : {text}. Composez {menu} pour le menu.",
        "Unknown code: {text}. Dial {menu} for the menu.",
    ),
    "malformed": (
        "Code mal formé : {text}.",
        "Malformed code: {text}.",
    ),
    "empty_code": (
        "Aucun code composé. Composez {menu} pour le menu.",
        "No code dialled. Dial {menu} for the menu.",
    ),
    "plain_call": (
        "Ceci est un numéro à appeler, pas un code de service.",
        "This is a number to call, not a service code.",
    ),
    "basic_service": (
        "Seule la téléphonie est prise en charge (service {code}).",
        "Only telephony is supported (service {code}).",
    ),
    "timer_format": (
        "Délai invalide : {value}. Saisissez de 5 à 30 secondes.",
        "Invalid timer: {value}. Enter 5 to 30 seconds.",
    ),
    "fwd_on": ("{kind} activé vers {number}.", "{kind} on, to {number}."),
    "fwd_on_timer": (
        "{kind} activé vers {number} après {timer} s.",
        "{kind} on, to {number} after {timer} s.",
    ),
    "fwd_off": ("{kind} désactivé.", "{kind} off."),
    "fwd_erased": ("{kind} effacé.", "{kind} erased."),
    "fwd_status_on": ("{kind} : actif vers {number}", "{kind}: on, to {number}"),
    "fwd_status_off": ("{kind} : inactif", "{kind}: off"),
    "fwd_status_short": ("{kind} : {number}", "{kind}: {number}"),
    "group_unknown": ("Groupe inconnu : {group}.", "Unknown group: {group}."),
    "group_code_missing": (
        "Saisissez le code du groupe : {example}",
        "Enter the group's code: {example}",
    ),
    "member_unknown": ("Membre inconnu : {member}.", "Unknown member: {member}."),
    "member_not_in_group": (
        "{member} n'est pas membre du groupe {group}.",
        "{member} is not a member of group {group}.",
    ),
    "group_gone": ("Groupe introuvable.", "Group not found."),
    "not_found": ("Introuvable.", "Not found."),
    "connected": ("Connecté au groupe {group}.", "Connected to group {group}."),
    "disconnected": ("Déconnecté du groupe {group}.", "Disconnected from group {group}."),
    "member_connected": (
        "{member} est connecté au groupe {group}.",
        "{member} is connected to group {group}.",
    ),
    "member_disconnected": (
        "{member} est déconnecté du groupe {group}.",
        "{member} is disconnected from group {group}.",
    ),
    "all_disconnected": (
        "Tous les membres du groupe {group} sont déconnectés.",
        "All members of group {group} are disconnected.",
    ),
    "status_member": ("Groupe {group} : {state}.", "Group {group}: {state}."),
    "status_group": (
        "Groupe {group} : {connected}/{total} membres connectés.",
        "Group {group}: {connected}/{total} members connected.",
    ),
    "no_groups": ("Aucun groupe pour cette ligne.", "This line is in no group."),
    "state_connected": ("connecté", "connected"),
    "state_disconnected": ("déconnecté", "disconnected"),
    "list_on": ("Appels entrants : liste activée ({mode}).", "Incoming calls: list on ({mode})."),
    "list_off": ("Appels entrants : liste désactivée.", "Incoming calls: list off."),
    "list_status": (
        "Liste {state} ({mode}) : {entries}",
        "List {state} ({mode}): {entries}",
    ),
    "list_none": ("Aucune liste d'appels entrants.", "No incoming-call list."),
    "mode_simultaneous": ("simultané", "simultaneous"),
    "mode_cascade": ("séquentiel", "sequential"),
    "state_on": ("active", "on"),
    "state_off": ("inactive", "off"),
    "menu_top": (
        "PABX mobile\n1 Renvois\n2 Groupes d'appel\n3 Appels entrants\n0 Quitter",
        "Mobile PABX\n1 Forwarding\n2 Call groups\n3 Incoming calls\n0 Exit",
    ),
    "menu_fwd": ("{status}\n1 Tout désactiver\n0 Retour", "{status}\n1 Turn all off\n0 Back"),
    "menu_groups": ("{choices}\n0 Retour", "{choices}\n0 Back"),
    "menu_group_code": (
        "Groupe {group} ({state}). Code de connexion ?",
        "Group {group} ({state}). Connection code?",
    ),
    "menu_list": (
        "{status}\n1 Activer\n2 Désactiver\n3 Simultané\n4 Séquentiel\n0 Retour",
        "{status}\n1 On\n2 Off\n3 Simultaneous\n4 Sequential\n0 Back",
    ),
    "menu_bad_choice": ("Choix invalide : {choice}.", "Invalid choice: {choice}."),
    "menu_bye": ("Au revoir.", "Goodbye."),
    "menu_expired": (
        "Session expirée. Composez {menu} à nouveau.",
        "Session expired. Dial {menu} again.",
    ),
    "sms_member_disconnected": (
        "Votre gestionnaire vous a déconnecté du groupe {group}.",
        "Your fleet manager disconnected you from group {group}.",
    ),
    "sms_member_connected": (
        "Votre gestionnaire vous a connecté au groupe {group}.",
        "Your fleet manager connected you to group {group}.",
    ),
    "sms_member_disconnected_admin": (
        "Vous avez été déconnecté du groupe {group} avec son code administratif.",
        "You were disconnected from group {group} with its administrative code.",
    ),
    "sms_member_connected_admin": (
        "Vous avez été connecté au groupe {group} avec son code administratif.",
        "You were connected to group {group} with its administrative code.",
    ),
    "sms_forwarding_changed": (
        "Votre gestionnaire a modifié vos renvois : {summary}",
        "Your fleet manager changed your forwarding: {summary}",
    ),
}

_KINDS: dict[ForwardingKind, tuple[str, str]] = {
    ForwardingKind.UNCONDITIONAL: ("Renvoi immédiat", "Unconditional forwarding"),
    ForwardingKind.BUSY: ("Renvoi sur occupation", "Forwarding on busy"),
    ForwardingKind.NO_REPLY: ("Renvoi sur non-réponse", "Forwarding on no reply"),
    ForwardingKind.NOT_REACHABLE: ("Renvoi sur injoignabilité", "Forwarding when unreachable"),
}

_SHORT_KINDS: dict[ForwardingKind, tuple[str, str]] = {
    ForwardingKind.UNCONDITIONAL: ("Immédiat", "Always"),
    ForwardingKind.BUSY: ("Occupation", "Busy"),
    ForwardingKind.NO_REPLY: ("Non-réponse", "No reply"),
    ForwardingKind.NOT_REACHABLE: ("Injoignable", "Unreachable"),
}


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[0] if language is Language.FR else pair[1]


def text(language: Language, key: str, **params: object) -> str:
    return fit(_pick(_TEXTS[key], language).format(**params))


def refusal(language: Language, error: DomainError) -> str:
    """A refused request as a handset shows it: the error's own message, except that what
    was not found is named by its kind only (its key may be an internal id)."""
    if error.code is ErrorCode.NOT_FOUND:
        entity = error.params.get("entity")
        return text(language, _GONE.get(str(entity), "not_found"))
    return fit(error.message(language))


_GONE = {"call_group": "group_gone", "line": "unknown_line"}


_VOICEMAIL = ("la messagerie vocale", "voicemail")
_VOICEMAIL_SHORT = ("messagerie", "voicemail")


def voicemail_name(language: Language, *, short: bool = False) -> str:
    return _pick(_VOICEMAIL_SHORT if short else _VOICEMAIL, language)


def forwarded_to(language: Language, rule: Forwarding, *, short: bool = False) -> str:
    """Where a forwarding goes, as a handset shows it: the number (national form, or its
    digits when ``short``), or the voicemail (issue 16 item 7)."""
    if rule.to_voicemail:
        return voicemail_name(language, short=short)
    if rule.destination is None:
        return "?"
    return rule.destination.national_digits() if short else rule.destination.national()


def kind_name(language: Language, kind: ForwardingKind, *, short: bool = False) -> str:
    return _pick((_SHORT_KINDS if short else _KINDS)[kind], language)


def fit(message: str) -> str:
    """At most one USSD screen (182 GSM-7 characters, or 80 in UCS-2)."""
    return fit_ussd(message)


def keys() -> frozenset[str]:
    return frozenset(_TEXTS)
