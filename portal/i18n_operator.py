"""The operator's pages' texts (``portal.operator_pages``), French and English."""

from __future__ import annotations

from fleet.core.impact import ImpactKind

_IMPACT: dict[ImpactKind, tuple[str, str]] = {
    ImpactKind.LINES: ("lignes mobiles supprimées", "mobile lines removed"),
    ImpactKind.FIXED_NUMBERS: ("numéros fixes supprimés", "fixed numbers removed"),
    ImpactKind.GROUPS: ("groupes d'appel supprimés", "call groups removed"),
    ImpactKind.TRUNKS: ("trunks SIP supprimés", "SIP trunks removed"),
    ImpactKind.FORWARDINGS: ("renvois de la ligne supprimés", "the line's forwardings removed"),
    ImpactKind.INCOMING_LIST: (
        "numéros de sa liste d'appels entrants supprimés",
        "entries of its incoming-call list removed",
    ),
    ImpactKind.MEMBERSHIPS: ("groupes d'appel quittés", "call groups it leaves"),
    ImpactKind.ACCOUNTS_REMOVED: ("comptes collaborateur supprimés", "employee accounts removed"),
    ImpactKind.MANAGERS_LOSING: (
        "gestionnaires qui perdent l'accès à la flotte",
        "managers who lose the fleet",
    ),
    ImpactKind.FORWARDED_TO: (
        "lignes qui gardent un renvoi vers ce numéro",
        "lines keeping a forwarding to this number",
    ),
    ImpactKind.LISTED_IN: (
        "lignes qui gardent ce numéro dans leur liste d'appels entrants",
        "lines keeping this number in their incoming-call list",
    ),
    ImpactKind.CALL_RECORDS_KEPT: (
        "enregistrements d'appel conservés (et le journal)",
        "call records kept (and the journal)",
    ),
}

OPERATOR_TEXTS: dict[str, tuple[str, str]] = {
    "operator_title": ("Toutes les flottes", "Every fleet"),
    "create_fleet": ("Créer une flotte", "Create a fleet"),
    "fleet_name": ("Nom de la flotte", "Fleet name"),
    "short_number_length": ("Longueur des n° courts", "Short number length"),
    "timezone": ("Fuseau horaire", "Time zone"),
    "administer": ("Administrer", "Administer"),
    "manager_pages": ("Pages du gestionnaire", "Manager pages"),
    "mobile_lines": ("Lignes mobiles", "Mobile lines"),
    "add_line": ("Ajouter une ligne", "Add a line"),
    "msisdn": ("Numéro mobile", "Mobile number"),
    "remove_line": ("Supprimer la ligne", "Remove the line"),
    "add_fixed": ("Ajouter un numéro fixe", "Add a fixed number"),
    "accounts": ("Comptes du portail", "Portal accounts"),
    "create_account": ("Créer un compte", "Create an account"),
    "role": ("Rôle", "Role"),
    "role_operator": ("opérateur", "operator"),
    "role_manager": ("gestionnaire", "manager"),
    "role_employee": ("collaborateur", "employee"),
    "display_name": ("Nom affiché", "Display name"),
    "line_of_employee": ("Ligne du collaborateur (numéro)", "Employee's line (number)"),
    "account_active": ("Actif", "Active"),
    "disable": ("Désactiver", "Disable"),
    "enable": ("Réactiver", "Enable"),
    "reset_password": ("Nouveau mot de passe", "New password"),
    "remove_fleet": ("Supprimer la flotte", "Remove the fleet"),
    "confirm_title": ("Confirmer la suppression", "Confirm the removal"),
    "confirm_line": ("Supprimer la ligne", "Remove the line"),
    "confirm_fleet": ("Supprimer la flotte", "Remove the fleet"),
    "confirm_takes": ("Cette suppression emporte ou laisse :", "This removal takes or leaves:"),
    "confirm_nothing": ("Rien d'autre.", "Nothing else."),
    "confirm_and_more": ("et {n} autres", "and {n} more"),
    "confirm_remove": ("Supprimer définitivement", "Remove for good"),
    "cancel": ("Annuler", "Cancel"),
    "done_line_added": ("Ligne ajoutée.", "Line added."),
    "done_line_removed": ("Ligne supprimée.", "Line removed."),
    "done_fixed_added": ("Numéro fixe ajouté.", "Fixed number added."),
    "done_fixed_removed": ("Numéro fixe supprimé.", "Fixed number removed."),
    "done_account_added": ("Compte créé.", "Account created."),
    "done_enabled": ("Compte réactivé.", "Account enabled."),
    "done_disabled": ("Compte désactivé.", "Account disabled."),
    "done_password_reset": ("Mot de passe changé.", "Password changed."),
    "done_fleet_removed": ("Flotte supprimée.", "Fleet removed."),
    "fleet_settings": ("Paramètres de la flotte", "Fleet settings"),
    "save_settings": ("Enregistrer les paramètres", "Save the settings"),
    "short_number_length_note": (
        "Ne change plus une fois qu'un numéro court est attribué.",
        "Cannot change once a short number is given.",
    ),
    "done_settings_saved": ("Paramètres enregistrés.", "Settings saved."),
    "fleet_changed_meanwhile": (
        "Cette flotte a été modifiée par quelqu'un d'autre entre-temps : rien n'a été "
        "enregistré. Vérifiez puis enregistrez à nouveau.",
        "This fleet was changed by someone else meanwhile: nothing was saved. Check, then "
        "save again.",
    ),
    "operators_title": ("Comptes opérateurs", "Operator accounts"),
    "add_operator": ("Créer un compte opérateur", "Create an operator account"),
    "done_operator_added": ("Compte opérateur créé.", "Operator account created."),
    **{f"impact_{kind.value}": texts for kind, texts in _IMPACT.items()},
}
