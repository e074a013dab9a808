"""What the domain's entities are called in each language, for the messages that name one
(``not_found``): ``{entity_fr}`` and ``{entity_en}``, never a code name in a sentence."""

from __future__ import annotations

_NAMES: dict[str, tuple[str, str]] = {
    "account": ("Compte", "Account"),
    "call_group": ("Groupe d'appel", "Call group"),
    "call_record": ("Appel", "Call"),
    "contact": ("Contact", "Contact"),
    "criterion": ("Critère", "Criterion"),
    "fixed_number": ("Numéro fixe", "Fixed number"),
    "fleet": ("Flotte", "Fleet"),
    "line": ("Ligne", "Line"),
    "trunk": ("Trunk SIP", "SIP trunk"),
}


def entity_names(entity: str) -> dict[str, str]:
    """The French and English names of ``entity`` (an unknown one: as given, capitalised)."""
    fr, en = _NAMES.get(entity, (entity.replace("_", " ").capitalize(),) * 2)
    return {"entity_fr": fr, "entity_en": en}
