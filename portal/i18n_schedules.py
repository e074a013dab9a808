"""The schedule pages' texts (``portal.schedule_pages``), French and English (seed 001
"Horaires", seed 003 "Plages horaires", "Jours fériés et vacances")."""

from __future__ import annotations

SCHEDULE_TEXTS: dict[str, tuple[str, str]] = {
    "schedules": ("Horaires", "Schedules"),
    "schedules_of": ("Horaires de la flotte", "The fleet's schedules"),
    "no_schedule": ("Aucun horaire.", "No schedule."),
    "add_schedule": ("Ajouter horaire", "Add a schedule"),
    "new_schedule": ("Nouvel horaire", "New schedule"),
    "edit_schedule": ("Configurer l'horaire", "Configure the schedule"),
    "schedule_name": ("Nom de l'horaire", "Schedule name"),
    "schedule_week": ("Périodes d'activité", "Opening periods"),
    "schedule_week_help": (
        "De une à trois périodes par jour, qui ne doivent pas se recouvrir (HH:MM, 24:00 "
        "pour minuit en fin de journée). Un jour sans période est fermé.",
        "One to three periods a day that must not overlap (HH:MM, 24:00 for midnight at the "
        "end of the day). A day without a period is closed.",
    ),
    "schedule_day": ("Jour", "Day"),
    "schedule_period": ("Période", "Period"),
    "schedule_start": ("début", "start"),
    "schedule_end": ("fin", "end"),
    "schedule_periods": ("Périodes", "Periods"),
    "schedule_holidays": ("Jours fériés et vacances", "Holidays"),
    "schedule_holidays_help": (
        "Fermé toute la journée, de 0:00 à 24:00, du premier au dernier jour. "
        "« Chaque année » : aux mêmes dates tous les ans.",
        "Closed all day, 0:00 to 24:00, from the first to the last day. "
        "'Every year': on the same dates every year.",
    ),
    "holiday_label": ("Intitulé", "Label"),
    "holiday_first": ("Premier jour", "First day"),
    "holiday_last": ("Dernier jour", "Last day"),
    "holiday_yearly": ("Chaque année", "Every year"),
    "holiday_row": ("Jour férié", "Holiday"),
    "with_opposite": ("Associer l'horaire opposé", "Add the opposite schedule"),
    "with_opposite_help": (
        "Crée aussi l'horaire complémentaire, précédé du préfixe « non- ».",
        "Also creates the complementary schedule, named with the prefix 'non-'.",
    ),
    "opposite_of": ("Horaire opposé de", "Opposite of"),
    "opposite_fixed": (
        "Cet horaire est l'opposé d'un autre : seul son nom se modifie ici ; ses périodes et "
        "jours fériés sont ceux de l'horaire source.",
        "This schedule is another's opposite: only its name changes here; its periods and "
        "holidays are those of its source.",
    ),
    "open_now": ("Maintenant", "Now"),
    "is_open": ("ouvert", "open"),
    "is_closed": ("fermé", "closed"),
    "configure": ("Configurer", "Configure"),
    "delete_schedule": ("Supprimer l'horaire", "Delete the schedule"),
    "delete_schedule_confirm": (
        "Supprimer l'horaire « {name} » ?",
        "Delete the schedule '{name}'?",
    ),
    "delete_schedule_opposite": (
        "Son horaire opposé « {name} » sera supprimé aussi.",
        "Its opposite schedule '{name}' will be deleted too.",
    ),
    "monday": ("Lundi", "Monday"),
    "tuesday": ("Mardi", "Tuesday"),
    "wednesday": ("Mercredi", "Wednesday"),
    "thursday": ("Jeudi", "Thursday"),
    "friday": ("Vendredi", "Friday"),
    "saturday": ("Samedi", "Saturday"),
    "sunday": ("Dimanche", "Sunday"),
    "schedule_incomplete": (
        "Une période a besoin d'un début et d'une fin.",
        "A period needs a start and an end.",
    ),
    "holiday_incomplete": (
        "Un jour férié a besoin de son premier jour (AAAA-MM-JJ).",
        "A holiday needs its first day (YYYY-MM-DD).",
    ),
    # routing criteria (portal/criteria_pages.py; seed 001 "Liste de critères")
    "criteria": ("Règles horaires et appelants", "Time and caller rules"),
    "criteria_help": (
        "Chaque règle s'applique pendant l'horaire choisi (pour « en dehors », choisissez son "
        "horaire opposé « non-… ») et pour les appelants choisis ; sinon elle est passée : la "
        "liste d'appels ne sonne pas et la ligne sonne, le renvoi ne s'applique pas, « ne pas "
        "déranger » ne s'applique pas.",
        'Each rule applies during the chosen schedule (for "outside", choose its opposite '
        'schedule "non-…") and for the chosen callers; otherwise it is passed over: the list '
        "does not ring and the line does, the forwarding does not apply, do-not-disturb does "
        "not apply.",
    ),
    "criteria_group_help": (
        "En dehors de l'horaire ou pour d'autres appelants, la règle de non-réponse du groupe "
        "s'applique aussitôt.",
        "Outside the schedule or for other callers, the group's no-answer rule applies at once.",
    ),
    "criteria_list_help": (
        "Une règle a jusqu'à {max} critères : elle s'applique quand l'un de ses critères "
        "actifs correspond, essayés dans l'ordre (le premier qui correspond est celui que le "
        "journal des appels nomme). Sans critère, elle s'applique toujours ; avec des "
        "critères tous désactivés, jamais.",
        "A rule has up to {max} criteria: it applies when one of its active criteria "
        "matches, tried in order (the first that matches is the one the call log names). "
        "Without criteria it always applies; with every criterion switched off, never.",
    ),
    "crit_list": ("Liste de critères", "List of criteria"),
    "crit_criterion": ("critère", "criterion"),
    "crit_criterion_heading": ("Critère", "Criterion"),
    "crit_name": ("Nom", "Name"),
    "crit_active": ("Actif", "Active"),
    "crit_actions": ("Actions", "Actions"),
    "crit_edit": ("Modifier", "Edit"),
    "crit_remove": ("Retirer le critère", "Remove the criterion"),
    "crit_add": ("Ajouter un critère", "Add a criterion"),
    "crit_new": ("nouveau", "new"),
    "crit_none": (
        "Aucun critère : la règle s'applique toujours.",
        "No criteria: the rule always applies.",
    ),
    "crit_rule": ("Règle", "Rule"),
    "rule_applies": ("s'applique", "applies"),
    "rule_skipped": ("ne s'applique pas", "does not apply"),
    "crit_schedule": ("Horaire", "Schedule"),
    "crit_always": ("Toujours", "Always"),
    "crit_callers": ("Appelants", "Callers"),
    "crit_numbers": ("Numéros des appelants", "Callers' numbers"),
    "crit_numbers_hint": (
        "Avec « numéros choisis » : jusqu'à 10 numéros, séparés par des virgules.",
        'With "chosen numbers": up to 10 numbers, separated by commas.',
    ),
    "crit_incoming_list": ("Liste d'appels entrants", "Incoming-call list"),
    "crit_forwarding_unconditional": ("Renvoi immédiat", "Unconditional forwarding"),
    "crit_forwarding_busy": ("Renvoi sur occupation", "Forwarding on busy"),
    "crit_forwarding_no_reply": ("Renvoi sur non-réponse", "Forwarding on no reply"),
    "crit_forwarding_not_reachable": ("Renvoi sur injoignabilité", "Forwarding when not reachable"),
    "crit_dnd": ("Ne pas déranger", "Do not disturb"),
    "crit_group": ("Routage du groupe", "The group's routing"),
    "callers_any": ("Tous les numéros", "Every number"),
    "callers_numbers": ("Numéros choisis", "Chosen numbers"),
    "callers_hidden": ("Numéros masqués", "Hidden numbers"),
    "callers_inside_vpn": ("Dans le VPN (la flotte)", "Inside the VPN (the fleet)"),
    "callers_outside_vpn": ("Hors du VPN", "Outside the VPN"),
}
