"""The company directory pages' texts (``portal.contacts_pages``), French and English (seed
000 "Annuaire de société", seed 002 "L'annuaire de l'entreprise", seed 003 "Annuaire
d'entreprise")."""

from __future__ import annotations

CONTACT_TEXTS: dict[str, tuple[str, str]] = {
    "directory": ("Annuaire", "Directory"),
    "directory_of": ("Annuaire de l'entreprise", "Company directory"),
    "directory_help": (
        "Les lignes, numéros fixes et groupes d'appel de la flotte, et ses contacts externes. "
        "Un numéro abrégé se compose depuis n'importe quelle ligne de la flotte, tel quel ou "
        "précédé de ##.",
        "The fleet's lines, fixed numbers and call groups, and its external contacts. An "
        "abbreviated number is dialled from any line of the fleet, as it is or after ##.",
    ),
    "directory_search": ("Rechercher un nom ou un numéro", "Search a name or a number"),
    "directory_empty": ("Aucune entrée.", "No entry."),
    "entry_kind": ("Type", "Type"),
    "entry_line": ("Ligne", "Line"),
    "entry_fixed": ("Numéro fixe", "Fixed number"),
    "entry_group": ("Groupe d'appel", "Call group"),
    "entry_contact": ("Contact externe", "External contact"),
    "contact_name": ("Nom", "Name"),
    "contact_company": ("Société", "Company"),
    "contact_number": ("Numéro de téléphone", "Phone number"),
    "contact_short": ("Numéro court / abrégé", "Short / abbreviated number"),
    "contact_abbreviated": ("Numéro abrégé", "Abbreviated number"),
    "contact_abbreviated_help": (
        "Facultatif : de {low} à {high}, libre parmi les numéros courts de la flotte.",
        "Optional: {low} to {high}, not one of the fleet's short numbers.",
    ),
    "contact_notes": ("Notes", "Notes"),
    "add_contact": ("Ajouter contact", "Add a contact"),
    "new_contact": ("Nouveau contact", "New contact"),
    "edit_contact": ("Modifier le contact", "Edit the contact"),
    "delete_contact": ("Supprimer le contact", "Delete the contact"),
    "delete_contact_confirm": (
        "Supprimer le contact « {name} » de l'annuaire ?",
        "Delete the contact '{name}' from the directory?",
    ),
    "contacts_import": ("Ajouter des contacts par fichier CSV", "Add contacts from a CSV file"),
    "contacts_import_help": (
        "Colonnes name (ou nom) et number (ou numéro), facultatives company, abbreviated, "
        "notes ; séparateur ; ou ,. Tout le fichier est ajouté, ou rien.",
        "Columns name and number, optional company, abbreviated, notes; separator ; or ,. "
        "The whole file is added, or nothing.",
    ),
    "contacts_file": ("Fichier CSV", "CSV file"),
    "contacts_import_button": ("Importer", "Import"),
    "contacts_export": ("Exporter les contacts (CSV)", "Export the contacts (CSV)"),
    "contacts_refused": (
        "Fichier refusé, rien n'a été ajouté :",
        "File refused, nothing was added:",
    ),
    "contacts_row": ("ligne {row}", "row {row}"),
    "contacts_file_level": ("fichier", "file"),
}
