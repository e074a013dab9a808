"""The presented-number page's texts (``portal.presented_pages``), French and English (seed
002 §2.8 "Numéro présenté pour les appels vers l'extérieur", "numéro entreprise"; seed 003
§7.2 "Affichage des numéros pour les appels sortants", "Numéro global")."""

from __future__ import annotations

PRESENTED_TEXTS: dict[str, tuple[str, str]] = {
    "presented_number": ("Numéro présenté", "Presented number"),
    "presented_help": (
        "Le numéro que voient les correspondants extérieurs appelés depuis cette ligne "
        "(un collègue de la flotte voit toujours la ligne). Pour un seul appel : *81# (la "
        "ligne), *82# (le numéro principal) ou *83*n° du groupe# avant le numéro.",
        "The number outside callees see when this line calls (a colleague of the fleet always "
        "sees the line). For one call: *81# (the line), *82# (the main number) or "
        "*83*group number# before the number.",
    ),
    "presented_line": ("Sa ligne directe", "Its own line"),
    "presented_main": ("Le numéro principal de l'entreprise", "The company's main number"),
    "presented_group": ("Le groupe « {name} »", "Group '{name}'"),
    "main_number": ("Numéro principal de l'entreprise", "The company's main number"),
    "main_number_help": (
        "Un numéro de la flotte : une ligne, un groupe d'appel ou un numéro fixe. Vide : aucun.",
        "A number of the fleet: a line, a call group or a fixed number. Empty: none.",
    ),
    "main_number_none": ("Aucun numéro principal.", "No main number."),
    "my_presented_help": (
        "Le numéro que voient vos correspondants extérieurs (un collègue voit toujours votre "
        "ligne). Pour un seul appel : *81# (votre ligne), *82# (le numéro principal) ou "
        "*83*n° du groupe# avant le numéro.",
        "The number outside callees see when you call (a colleague always sees your line). "
        "For one call: *81# (your line), *82# (the main number) or *83*group number# before "
        "the number.",
    ),
    "presented_locked_notice": (
        "Votre numéro présenté est fixé par le gestionnaire de la flotte.",
        "Your presented number is set by the fleet's manager.",
    ),
}
