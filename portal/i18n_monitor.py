"""The activity monitor's texts (``portal.monitor_pages``), French and English (seed 003
"Moniteur d'activité": "Rafraîchir", "utilisateur absent", "Plage actuelle")."""

from __future__ import annotations

MONITOR_TEXTS: dict[str, tuple[str, str]] = {
    "monitor": ("Moniteur d'activité", "Activity monitor"),
    "monitor_of": ("Activité de la flotte", "The fleet's activity"),
    "monitor_refresh": ("Rafraîchir", "Refresh"),
    "monitor_live_help": (
        "La page se met à jour d'elle-même toutes les 2 secondes (sans JavaScript : toutes "
        "les 15 secondes, ou avec « Rafraîchir »).",
        "The page updates itself every 2 seconds (without JavaScript: every 15 seconds, or "
        "with 'Refresh').",
    ),
    "monitor_at": ("Situation à", "As of"),
    "monitor_absent": ("Membres absents (déconnectés)", "Absent members (disconnected)"),
    "monitor_ringing": ("Membres sonnés", "Members ringing"),
    "monitor_in_call": ("Membres en communication", "Members in a call"),
    "monitor_waiting": ("Appelants en attente", "Callers waiting"),
    "monitor_current_range": ("Plage actuelle", "Current range"),
    "monitor_no_group": ("Aucun groupe d'appel.", "No call group."),
    "monitor_member": ("Membre", "Member"),
    "monitor_state": ("État", "State"),
    "monitor_queue": ("File d'attente", "Queue"),
    "monitor_queue_of": ("appelant(s) sur", "caller(s) of"),
    "monitor_longest_wait": ("attente la plus longue", "longest wait"),
    "monitor_seconds": ("s", "s"),
    "monitor_until": ("jusqu'à", "until"),
    "monitor_group_schedule": ("Horaire du groupe", "The group's schedule"),
    "monitor_schedule": ("Horaire", "Schedule"),
    "monitor_applies": ("Ce qui s'applique", "What applies"),
    "monitor_no_schedule": ("Aucun horaire.", "No schedule."),
    "monitor_rule_range": ("période", "period"),
    "monitor_rule_holiday": ("jour férié", "holiday"),
    "monitor_rule_outside": ("hors des périodes", "outside every period"),
    "monitor_elsewhere": (
        "Les appels de cette flotte sont traités par un autre processus ({process}) : "
        "l'activité en direct de ses groupes n'est connue que de lui. Ouvrez le portail sur "
        "ce processus pour la voir.",
        "This fleet's calls are handled by another process ({process}): only that process "
        "knows its groups' live activity. Open the portal on that process to see it.",
    ),
    "monitor_nobody": (
        "Aucun processus ne traite les appels de cette flotte en ce moment (reprise en "
        "cours) : l'activité en direct reviendra dans quelques secondes.",
        "No process handles this fleet's calls right now (a takeover is under way): the live "
        "activity will be back in a few seconds.",
    ),
    "monitor_state_disconnected": ("déconnecté", "disconnected"),
    "monitor_state_in_call": ("en communication", "in a call"),
    "monitor_state_ringing": ("sonne", "ringing"),
    "monitor_state_resting": ("au repos", "resting"),
    "monitor_state_barred": ("appels entrants interdits", "incoming calls barred"),
    "monitor_state_do_not_disturb": ("ne pas déranger", "do not disturb"),
    "monitor_state_available": ("disponible", "available"),
}
