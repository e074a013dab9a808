"""Portal texts in French (default) and English."""

from __future__ import annotations

from fleet.core.values import Language

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
    "lines": ("lignes", "lines"),
    "no_group": ("Aucun groupe d'appel.", "No call group."),
    "linear": ("Linéaire", "Linear"),
    "cyclic": ("Cyclique", "Cyclic"),
    "simultaneous": ("Simultané", "Simultaneous"),
    "least_active": ("Le moins actif", "Least active"),
    "random": ("Aléatoire", "Random"),
    "login_failed": ("Identifiant ou mot de passe incorrect.", "Wrong login or password."),
    "my_line": ("Ma ligne", "My line"),
    "my_groups": ("Mes groupes d'appel", "My call groups"),
}


def translator(language: Language) -> dict[str, str]:
    index = 0 if language is Language.FR else 1
    return {key: pair[index] for key, pair in _TEXTS.items()}
