"""Counts in words, French and English: ``count(FR, 1, "call")`` is "1 appel", and 2 is
"2 appels"; in French 0 takes the singular ("0 ligne"), in English the plural ("0 lines")
— the CLDR rules of both languages. Every count a page shows goes through here."""

from __future__ import annotations

from fleet.core.impact import ImpactKind
from fleet.core.values import Language

# key: ((French singular, French plural), (English singular, English plural))
Forms = tuple[tuple[str, str], tuple[str, str]]

_IMPACT: dict[ImpactKind, Forms] = {
    ImpactKind.LINES: (
        ("ligne mobile supprimée", "lignes mobiles supprimées"),
        ("mobile line removed", "mobile lines removed"),
    ),
    ImpactKind.FIXED_NUMBERS: (
        ("numéro fixe supprimé", "numéros fixes supprimés"),
        ("fixed number removed", "fixed numbers removed"),
    ),
    ImpactKind.GROUPS: (
        ("groupe d'appel supprimé", "groupes d'appel supprimés"),
        ("call group removed", "call groups removed"),
    ),
    ImpactKind.TRUNKS: (
        ("trunk SIP supprimé", "trunks SIP supprimés"),
        ("SIP trunk removed", "SIP trunks removed"),
    ),
    ImpactKind.FORWARDINGS: (
        ("renvoi de la ligne supprimé", "renvois de la ligne supprimés"),
        ("of the line's forwardings removed", "of the line's forwardings removed"),
    ),
    ImpactKind.INCOMING_LIST: (
        (
            "numéro de sa liste d'appels entrants supprimé",
            "numéros de sa liste d'appels entrants supprimés",
        ),
        (
            "entry of its incoming-call list removed",
            "entries of its incoming-call list removed",
        ),
    ),
    ImpactKind.MEMBERSHIPS: (
        ("groupe d'appel quitté", "groupes d'appel quittés"),
        ("call group it leaves", "call groups it leaves"),
    ),
    ImpactKind.ACCOUNTS_REMOVED: (
        ("compte collaborateur supprimé", "comptes collaborateur supprimés"),
        ("employee account removed", "employee accounts removed"),
    ),
    ImpactKind.MANAGERS_LOSING: (
        (
            "gestionnaire qui perd l'accès à la flotte",
            "gestionnaires qui perdent l'accès à la flotte",
        ),
        ("manager who loses the fleet", "managers who lose the fleet"),
    ),
    ImpactKind.FORWARDED_TO: (
        (
            "ligne qui garde un renvoi vers ce numéro",
            "lignes qui gardent un renvoi vers ce numéro",
        ),
        (
            "line keeping a forwarding to this number",
            "lines keeping a forwarding to this number",
        ),
    ),
    ImpactKind.LISTED_IN: (
        (
            "ligne qui garde ce numéro dans sa liste d'appels entrants",
            "lignes qui gardent ce numéro dans leur liste d'appels entrants",
        ),
        (
            "line keeping this number in its incoming-call list",
            "lines keeping this number in their incoming-call list",
        ),
    ),
    ImpactKind.CALL_RECORDS_KEPT: (
        (
            "enregistrement d'appel conservé (et le journal)",
            "enregistrements d'appel conservés (et le journal)",
        ),
        ("call record kept (and the journal)", "call records kept (and the journal)"),
    ),
}

if set(_IMPACT) != set(ImpactKind):
    raise ValueError("portal plurals: an impact kind has no words")

NOUNS: dict[str, Forms] = {
    "call": (("appel", "appels"), ("call", "calls")),
    "line": (("ligne", "lignes"), ("line", "lines")),
    "group": (("groupe d'appel", "groupes d'appel"), ("call group", "call groups")),
    "entry": (("entrée", "entrées"), ("entry", "entries")),
    "contact": (("contact ajouté", "contacts ajoutés"), ("contact added", "contacts added")),
    "change": (("modification", "modifications"), ("change", "changes")),
    "to_create": (("à créer", "à créer"), ("to create", "to create")),
    "to_update": (("à modifier", "à modifier"), ("to change", "to change")),
    "unchanged": (("inchangée", "inchangées"), ("unchanged", "unchanged")),
    "more_rows": (("autre ligne", "autres lignes"), ("more row", "more rows")),
    "other": (("autre", "autres"), ("more", "more")),
    **{f"impact_{kind.value}": forms for kind, forms in _IMPACT.items()},
}


def singular(language: Language, n: int) -> bool:
    """French: 0 and 1 are singular; English: 1 only."""
    return n in (0, 1) if language is Language.FR else n == 1


def noun(language: Language, n: int, key: str) -> str:
    """The word of ``key`` that goes with ``n``."""
    french, english = NOUNS[key]
    forms = french if language is Language.FR else english
    return forms[0] if singular(language, n) else forms[1]


def number(language: Language, n: int) -> str:
    """``n`` with the language's thousands separator: ``12 345`` (a no-break space) in
    French, ``12,345`` in English."""
    return f"{n:,}".replace(",", "\u00a0" if language is Language.FR else ",")


def count(language: Language, n: int, key: str) -> str:
    """``n`` and its word: "1 appel", "2 appels", "0 ligne"; "0 lines", "1 line"."""
    return f"{number(language, n)} {noun(language, n, key)}"
