"""Portal texts in French (default) and English."""

from __future__ import annotations

from fleet.core.linesettings import LINE_SETTINGS
from fleet.core.values import Language
from portal.i18n_contacts import CONTACT_TEXTS
from portal.i18n_monitor import MONITOR_TEXTS
from portal.i18n_operator import OPERATOR_TEXTS
from portal.i18n_presented import PRESENTED_TEXTS
from portal.i18n_schedules import SCHEDULE_TEXTS

_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Option PABX mobile", "Mobile PABX option"),
    "login": ("Identifiant", "Login"),
    "password": ("Mot de passe", "Password"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "home": ("Accueil", "Home"),
    "forwardings": ("Gérer les renvois d'appel", "Manage call forwarding"),
    "incoming": ("Gérer les appels entrants", "Manage incoming calls"),
    "groups": ("Administrer les groupes d'appel", "Manage call groups"),
    "call_groups": ("Groupes d'appel", "Call groups"),
    "group_number": ("N° du groupe", "Group number"),
    "group_name": ("Nom du groupe d'appel", "Call group name"),
    "user_code": ("Code connexion utilisateur", "User connection code"),
    "admin_code": ("Code administratif", "Administrative code"),
    "queue": ("File d'attente", "Queue"),
    "switchover": ("Délai avant basculement", "Delay before switchover"),
    "intercall": ("Délai inter-appels", "Inter-call delay"),
    "distribution": ("Mode de distribution", "Distribution mode"),
    "legend": ("Légende", "Legend"),
    "some_connected": ("Au moins un membre connecté", "At least one member connected"),
    "none_connected": ("Aucun membre connecté", "No member connected"),
    "members_of": ("Membres du groupe d'appel", "Members of call group"),
    "name": ("Nom", "Name"),
    "number": ("Numéro", "Number"),
    "status": ("Statut", "Status"),
    "connected": ("Connecté", "Connected"),
    "disconnected": ("Déconnecté", "Disconnected"),
    "connect": ("Connecter", "Connect"),
    "disconnect": ("Déconnecter", "Disconnect"),
    "disconnect_all": ("Déconnecter tous les membres", "Disconnect all members"),
    "back": ("Retour", "Back"),
    "fleets": ("Vos flottes", "Your fleets"),
    "no_group": ("Aucun groupe d'appel.", "No call group."),
    "linear": ("Linéaire", "Linear"),
    "cyclic": ("Cyclique", "Cyclic"),
    "simultaneous": ("Simultané", "Simultaneous"),
    "least_active": ("Le moins actif", "Least active"),
    "random": ("Aléatoire", "Random"),
    "login_failed": ("Identifiant ou mot de passe incorrect.", "Wrong login or password."),
    "my_line": ("Ma ligne", "My line"),
    "my_groups": ("Mes groupes d'appel", "My call groups"),
    "my_settings": ("Mes réglages", "My settings"),
    "dnd_on_notice": (
        "« Ne pas déranger » est activé : vos appels reçoivent le traitement d'occupation.",
        "Do not disturb is on: your callers get the busy treatment.",
    ),
    "lines_title": ("Lignes de la flotte", "Fleet lines"),
    "search": ("Rechercher", "Search"),
    "page": ("Page", "Page"),
    "previous": ("Précédente", "Previous"),
    "next": ("Suivante", "Next"),
    "first_page": ("Première", "First"),
    "more_than": ("plus de", "more than"),
    "short_number": ("N° court", "Short number"),
    "employee": ("Collaborateur", "Employee"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "activate": ("Activer", "Activate"),
    "type": ("Type de renvoi", "Forwarding type"),
    "destination": ("Numéro de renvoi", "Forward to"),
    "fwd_target": ("Renvoyer vers", "Send to"),
    "target_number": ("un numéro", "a number"),
    "target_voicemail": ("la messagerie vocale", "voicemail"),
    "voicemail": ("Messagerie vocale", "Voicemail"),
    "timer": ("Délai de non-réponse (s)", "No-reply timer (s)"),
    "unconditional": ("Immédiat", "Unconditional"),
    "busy": ("Sur occupation", "On busy"),
    "no_reply": ("Sur non réponse", "On no reply"),
    "not_reachable": ("Sur injoignabilité", "When unreachable"),
    "fwd_none": (
        "Je ne souhaite pas personnaliser mes renvois d'appel",
        "I do not want to customise my call forwarding",
    ),
    "inc_none": (
        "Je ne souhaite pas personnaliser mes appels entrants",
        "I do not want to customise my incoming calls",
    ),
    "fwd_hint": (
        "Numéro à dix chiffres commençant par 01, 02, 03, 04, 05 ou 06 "
        "(numéro court non disponible).",
        "A ten-digit number starting with 01, 02, 03, 04, 05 or 06 (no short number).",
    ),
    "inc_hint": (
        "Jusqu'à 5 numéros à 10 chiffres du VPN commençant par 01 à 06.",
        "Up to 5 ten-digit numbers of the VPN starting with 01 to 06.",
    ),
    "mode": ("Mode de distribution de l'appel", "Ring mode"),
    "sequential": ("Séquentiellement", "Sequentially"),
    "simultaneously": ("Simultanément", "Simultaneously"),
    "ring_time": ("Durée de sonnerie par poste (s)", "Ring time per step (s)"),
    "entries": ("Liste d'appels", "Call list"),
    "save": ("Valider", "Save"),
    "add": ("Ajouter", "Add"),
    "modify": ("Modifier", "Modify"),
    "delete": ("Supprimer", "Delete"),
    "modify_delete": ("Modification / Suppression", "Modify / Delete"),
    "new_group": ("Nouveau groupe d'appel", "New call group"),
    "edit_group": ("Modifier le groupe d'appel", "Modify the call group"),
    "group_short": ("N° court du groupe", "Group short number"),
    "add_member": (
        "Ajouter un membre (n° court ou numéro)",
        "Add a member (short number or number)",
    ),
    "remove": ("Retirer", "Remove"),
    "audit": ("Journal des modifications", "Audit journal"),
    "change_password": ("Changer de mot de passe", "Change password"),
    "old_password": ("Mot de passe actuel", "Current password"),
    "new_password": ("Nouveau mot de passe", "New password"),
    "confirm_password": ("Confirmez le nouveau mot de passe", "Confirm the new password"),
    "confirm_mismatch": ("Les deux mots de passe diffèrent.", "The two passwords differ."),
    "password_changed": ("Mot de passe changé.", "Password changed."),
    "entity": ("Objet", "Entity"),
    "actor": ("Auteur", "Who"),
    "channel": ("Canal", "Channel"),
    "when": ("Date", "When"),
    "action": ("Action", "Action"),
    "before": ("Avant", "Before"),
    "after": ("Après", "After"),
    "fixed_numbers": ("Numéros fixes de la flotte", "Fixed numbers of the fleet"),
    "label": ("Libellé", "Label"),
    "trunk": ("Trunk SIP", "SIP trunk"),
    "trunks": ("Trunks SIP de la flotte", "SIP trunks of the fleet"),
    "trunk_state": ("État du trunk", "Trunk state"),
    "trunk_since": ("Depuis", "Since"),
    "trunk_mode": ("Mode", "Mode"),
    "trunk_peer": ("PABX", "PBX"),
    "trunk_mode_static": ("adresse fixe", "fixed address"),
    "trunk_mode_registration": ("enregistrement", "registration"),
    "trunk_state_unknown": ("pas encore vérifié", "not checked yet"),
    "trunk_state_in_service": ("en service", "in service"),
    "trunk_state_out_of_service": ("hors service", "out of service"),
    "trunk_state_missing": ("trunk non configuré", "trunk not configured"),
    "saved": ("Modifications enregistrées.", "Changes saved."),
    "employee_name": ("Nom du collaborateur", "Employee name"),
    "email": ("Adresse e-mail", "E-mail address"),
    "language": ("Langue", "Language"),
    "lang_fr": ("Français", "French"),
    "lang_en": ("Anglais", "English"),
    "act_as": ("Agir en tant que cet utilisateur", "Act as this user"),
    "act_as_hint": (
        "Prendre l'identité de la ligne pour la configurer comme son utilisateur.",
        "Take the line's identity to configure it as its user would.",
    ),
    "acting_as": ("Vous agissez en tant que", "You are acting as"),
    "stop_acting": ("Revenir à mon compte", "Back to my account"),
    "active": ("activé", "on"),
    "inactive": ("désactivé", "off"),
    "none": ("Aucun.", "None."),
    "call_log": ("Journal des appels", "Call log"),
    "no_calls": ("Aucun appel.", "No call."),
    "direction": ("Sens", "Direction"),
    "call_in": ("reçu", "incoming"),
    "call_out": ("émis", "outgoing"),
    "other_party": ("Correspondant", "Other party"),
    "hidden_number": ("Numéro masqué", "Hidden number"),
    "outcome": ("Issue", "Outcome"),
    "duration": ("Durée", "Duration"),
    "call_events": ("Déroulement", "What happened"),
    "in_progress": ("en cours", "in progress"),
    "outcome_answered": ("répondu", "answered"),
    "outcome_busy": ("occupé", "busy"),
    "outcome_no_answer": ("sans réponse", "no answer"),
    "outcome_unreachable": ("injoignable", "unreachable"),
    "outcome_rejected": ("refusé", "rejected"),
    "outcome_loop": ("boucle de renvois", "forwarding loop"),
    "outcome_abandoned": ("abandonné", "abandoned"),
    "session_case": ("Visite", "Visit"),
    "session_case_originating": ("départ (appelant)", "originating (caller)"),
    "session_case_terminating": ("arrivée (appelé)", "terminating (callee)"),
    "network_ids": ("Identifiants réseau", "Network ids"),
    "correlation_id": ("Corrélation (ICID)", "Correlation (ICID)"),
    "caller_network_id": ("Call-ID côté appelant", "Caller's leg Call-ID"),
    "callee_network_id": ("Call-ID côté appelé", "Callee's leg Call-ID"),
    "event_abbreviated_dialled": ("numéro abrégé", "abbreviated number"),
    "event_forwarded": ("renvoyé", "forwarded"),
    "event_voicemail": ("messagerie vocale", "voicemail"),
    "event_list_ring": ("liste d'appels", "call list"),
    "event_do_not_disturb": ("ne pas déranger", "do not disturb"),
    "event_criteria": ("règle horaire ou appelant", "time or caller rule"),
    "event_restricted": ("restriction d'appel", "call restriction"),
    "event_group_offered": ("groupe d'appel", "call group"),
    "event_queued": ("mis en attente", "queued"),
    "event_transferred": ("transféré", "transferred"),
    "event_conference_joined": ("conférence", "conference"),
    # import and export (portal/fleetio_pages.py)
    "transfer": ("Importer / exporter", "Import / export"),
    "export_title": ("Exporter la flotte", "Export the fleet"),
    "export_csv": ("Lignes (CSV)", "Lines (CSV)"),
    "export_json": ("Configuration complète (JSON)", "Whole configuration (JSON)"),
    "print_config": ("Imprimer la configuration", "Print the configuration"),
    "import_title": ("Importer un fichier", "Import a file"),
    "import_help": (
        "CSV des lignes (UTF-8, « ; » ou « , ») ou JSON de configuration. Rien n'est écrit "
        "tant qu'une ligne est en erreur ; les lignes absentes du fichier ne changent pas.",
        "A CSV of lines (UTF-8, ';' or ',') or a JSON configuration. Nothing is written while "
        "a row is faulty; lines absent from the file are left as they are.",
    ),
    "import_file": ("Fichier", "File"),
    "preview": ("Prévisualiser", "Preview"),
    "confirm_import": ("Confirmer l'import", "Confirm the import"),
    "faulty_rows": ("Lignes en erreur — rien n'a été écrit", "Faulty rows — nothing was written"),
    "row": ("Ligne du fichier", "Row"),
    "reason": ("Motif", "Reason"),
    "planned": ("Ce que l'import fera", "What the import will do"),
    "done": ("Import effectué", "Import done"),
    "nothing_to_change": (
        "Rien à changer : la flotte a déjà cette configuration.",
        "Nothing to change: the fleet already has this configuration.",
    ),
    "action_create": ("création", "create"),
    "action_update": ("modification", "change"),
    "configuration_of": ("Configuration de la flotte", "Configuration of the fleet"),
    "incoming_lists": ("Listes d'appels entrants", "Incoming-call lists"),
    "no_answer": ("Si personne ne répond", "When nobody answers"),
    "members": ("Membres", "Members"),
    "fwd_unconditional": ("Renvoi immédiat", "Unconditional"),
    "fwd_busy": ("Sur occupation", "On busy"),
    "fwd_no_reply": ("Sur non-réponse", "On no reply"),
    "fwd_not_reachable": ("Sur injoignabilité", "When not reachable"),
    "print": ("Imprimer", "Print"),
    # the group's no-answer rule, the versions of the forms, the fleet's call log
    "max_queue_wait": ("Attente maximale en file (s)", "Maximum queue wait (s)"),
    "no_answer_action": ("Si personne ne répond", "When nobody answers"),
    "no_answer_number": ("Numéro de débordement", "Overflow number"),
    "no_answer_group": ("Groupe de débordement", "Overflow group"),
    "end_with_announcement": ("Annonce de fin", "End with an announcement"),
    "forward_to_number": ("Renvoi vers un numéro", "Forward to a number"),
    "forward_to_group": ("Renvoi vers un autre groupe", "Forward to another group"),
    "forward_to_voicemail": (
        "Renvoi vers la messagerie vocale du groupe",
        "Forward to the group's voicemail",
    ),
    "changed_meanwhile": (
        "Modifié par quelqu'un d'autre entre-temps : rien n'a été enregistré. Vérifiez puis "
        "validez à nouveau.",
        "Changed by someone else meanwhile: nothing was saved. Check, then save again.",
    ),
    "group_changed_meanwhile": (
        "Ce groupe a été modifié par quelqu'un d'autre entre-temps : rien n'a été fait. Le "
        "voici tel qu'il est maintenant ; refaites l'action si elle reste voulue.",
        "This group was changed by someone else meanwhile: nothing was done. Here it is as it "
        "is now; do it again if it is still wanted.",
    ),
    "fleet_calls": ("Journal des appels de la flotte", "Fleet call log"),
    "caller": ("Appelant", "Caller"),
    "called": ("Appelé", "Called"),
    "since": ("Du", "From"),
    "until": ("Au", "To"),
    "any": ("toutes", "any"),
    "export_calls_csv": ("Exporter en CSV", "Export as CSV"),
    "filter_invalid": ("Filtre invalide", "Invalid filter"),
    # the layout (base.html) and the error pages
    "skip_to_content": ("Aller au contenu", "Skip to content"),
    "row_actions": ("Actions", "Actions"),
    "group_state": ("État", "State"),
    "error_title": ("Erreur", "Error"),
    "error_400": ("Demande invalide", "Bad request"),
    "error_403": ("Accès refusé", "Access refused"),
    "error_404": ("Page introuvable", "Page not found"),
    "error_405": ("Méthode non permise", "Method not allowed"),
    "error_back": ("Revenir à l'accueil", "Back to the home page"),
}


def setting_key(name: str) -> str:
    """The key of a line setting's label; its help is under ``setting_key(name) + "_help"``."""
    return f"setting_{name}"


def choice_key(name: str, value: str) -> str:
    """The key of the label of a choice setting's value."""
    return f"{setting_key(name)}__{value}"


def _setting_texts() -> dict[str, tuple[str, str]]:
    """Each line setting's label and help, from its description."""
    found: dict[str, tuple[str, str]] = {}
    for setting in LINE_SETTINGS:
        found[setting_key(setting.name)] = (setting.label.fr, setting.label.en)
        if setting.help is not None:
            found[setting_key(setting.name) + "_help"] = (setting.help.fr, setting.help.en)
        for value, label in setting.choices.items():
            found[choice_key(setting.name, str(value))] = (label.fr, label.en)
    return found


_SETTING_TEXTS = _setting_texts()
# each page's texts, by the page they are for: no key may be in two of them
_PAGES: dict[str, dict[str, tuple[str, str]]] = {
    "common": _TEXTS,
    "line setting": _SETTING_TEXTS,
    "operator": OPERATOR_TEXTS,
    "schedule": SCHEDULE_TEXTS,
    "monitor": MONITOR_TEXTS,
    "presented-number": PRESENTED_TEXTS,
    "directory": CONTACT_TEXTS,
}


def _merged() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for page, texts in _PAGES.items():
        if taken := set(texts) & set(merged):
            raise ValueError(f"portal texts: a {page} text's key is taken: {sorted(taken)}")
        merged |= texts
    return merged


_ALL = _merged()


def translator(language: Language) -> dict[str, str]:
    index = 0 if language is Language.FR else 1
    return {key: pair[index] for key, pair in _ALL.items()}
