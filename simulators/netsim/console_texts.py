"""The web console's words in French (the default) and English, and the "why" of a routing
decision (a call record's event) as a sentence. Numbers are shown nationally, with the name
of the handset when netsim knows it."""

from __future__ import annotations

from collections.abc import Callable

from fleet.core.criteria import explain
from fleet.core.model import CallEvent
from fleet.core.values import CallEventKind, ForwardingKind, Language

_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Réseau simulé — console", "Simulated network — console"),
    "skip": ("Aller au contenu", "Skip to content"),
    "language": ("Langue", "Language"),
    "fleet": ("Flotte", "Fleet"),
    "show": ("Afficher", "Show"),
    "handsets": ("Téléphones de la flotte", "The fleet's handsets"),
    "outside": ("Téléphones hors flotte", "Outside handsets"),
    "no_outside": ("Aucun pour l'instant.", "None yet."),
    "add_outside": ("Ajouter un téléphone hors flotte", "Add an outside handset"),
    "add": ("Ajouter", "Add"),
    "number": ("Numéro", "Number"),
    "short_number": ("N° court", "Short number"),
    "state": ("État", "State"),
    "behaviour": ("Comportement", "Behaviour"),
    "seconds": ("secondes", "seconds"),
    "screen": ("Écran", "Screen"),
    "idle": ("Au repos", "Idle"),
    "ringing": ("Sonne : {0}", "Ringing: {0}"),
    "in_call": ("En communication avec {0}", "In a call with {0}"),
    "held": ("En attente : {0}", "On hold: {0}"),
    "calling": ("Appelle {0}", "Calling {0}"),
    "forwarded": ("Renvoyé par {0}", "Forwarded by {0}"),
    "ussd_waiting": ("{0} envoyé…", "{0} sent…"),
    "ussd_failed": ("{0} : échec ({1})", "{0}: failed ({1})"),
    "field_sms": ("SMS reçus", "SMS received"),
    "field_sms_count": ("Nombre de SMS", "SMS count"),
    "field_refer_outcome": ("Résultat du dernier REFER", "The last REFER's outcome"),
    "answer": ("Décrocher", "Answer"),
    "hang_up": ("Raccrocher", "Hang up"),
    "hold": ("Mettre en attente", "Hold"),
    "retrieve": ("Reprendre", "Retrieve"),
    "dial": ("Appeler", "Dial"),
    "to_dial": ("Numéro ou code à composer", "Number or code to dial"),
    "keypad": ("Clavier", "Keypad"),
    "clear": ("Effacer", "Clear"),
    # in-call keys
    "incall_keys": ("Touches en communication", "In-call keys"),
    "transfer_key": ("#1 Transférer", "#1 Transfer"),
    "conference_key": ("#3 Conférence", "#3 Conference"),
    "by_refer": (
        "#1 et #3 par REFER (3GPP) plutôt qu'en INFO",
        "#1 and #3 by REFER (3GPP), not INFO",
    ),
    "send_keys": ("Envoyer les touches", "Send the keys"),
    "incall_hint": (
        "En communication : « Envoyer les touches » envoie les chiffres dans l'appel, "
        "« Appeler » passe un second appel.",
        "In a call: “Send the keys” sends the digits in the call, “Dial” places a second call.",
    ),
    "keys_sent": ("Touches {0} envoyées.", "Keys {0} sent."),
    "nothing_typed": ("Tapez d'abord un numéro ou des touches.", "Type a number or keys first."),
    "calls": ("Appels en cours", "Calls in progress"),
    "no_calls": ("Aucun appel en cours.", "No call in progress."),
    "call": ("Appel", "Call"),
    "leg": ("Jambe", "Leg"),
    "timeline": ("Décisions de routage", "Routing decisions"),
    "timeline_hint": (
        "Les enregistrements d'appel de FleetPBX, dès qu'ils sont écrits, avec le pourquoi "
        "de chaque décision.",
        "FleetPBX's call records as soon as they are written, with the why of each decision.",
    ),
    "no_records": ("Aucun enregistrement pour l'instant.", "No record yet."),
    "live_on": ("En direct", "Live"),
    "live_off": ("Reconnexion…", "Reconnecting…"),
    "done": ("Fait.", "Done."),
    "originating": ("départ", "originating"),
    "terminating": ("arrivée", "terminating"),
    "hidden": ("Numéro masqué", "Hidden number"),
    "kind_line": ("ligne", "line"),
    "kind_fixed": ("fixe", "fixed"),
    "kind_outside": ("hors flotte", "outside"),
    # the SMSC
    "smsc": ("SMSC / passerelle USSD", "SMSC / USSD gateway"),
    "smsc_bound": (
        "FleetPBX est lié en SMPP (port {0}).",
        "FleetPBX is bound over SMPP (port {0}).",
    ),
    "smsc_unbound": ("FleetPBX n'est pas lié (port {0}).", "FleetPBX is not bound (port {0})."),
    "misbehaviours": ("Mauvais comportements du SMSC", "The SMSC's misbehaviours"),
    "misbehaviour_black_hole": (
        "Trou noir : aucun submit_sm n'a de réponse",
        "Black hole: no submit_sm is answered",
    ),
    "misbehaviour_unbind_on_submit": (
        "Se délie à chaque submit_sm",
        "Unbinds on each submit_sm",
    ),
    "misbehaviour_slow_response": ("Répond lentement aux submit_sm", "Answers submit_sm late"),
    "misbehaviour_drop_connection": (
        "Coupe la liaison, et chaque nouvelle",
        "Drops the link, and each new one",
    ),
    "misbehaviour_malformed_pdu": (
        "PDU corrompus avant chaque deliver_sm",
        "Corrupt PDUs before each deliver_sm",
    ),
    "misbehaviour_partial_pdu": (
        "PDU tronqué avant chaque deliver_sm",
        "A partial PDU before each deliver_sm",
    ),
    # handset states and behaviours
    "state_on": ("Allumé", "On"),
    "state_off": ("Éteint", "Off"),
    "state_out_of_coverage": ("Hors couverture", "Out of coverage"),
    "state_abroad": ("À l'étranger", "Abroad"),
    "state_white_zone": ("Zone blanche", "White zone"),
    "answer_after": ("Répond après…", "Answers after…"),
    "answer_never": ("Ne répond jamais", "Never answers"),
    "answer_decline": ("Refuse après…", "Declines after…"),
    "answer_busy": ("Occupé", "Busy"),
    "behaves_after": ("Répond après {0} s", "Answers after {0} s"),
    "behaves_never": ("Ne répond jamais", "Never answers"),
    "behaves_decline": ("Refuse après {0} s", "Declines after {0} s"),
    "behaves_busy": ("Occupé", "Busy"),
    "apply": ("Appliquer", "Apply"),
    # legs
    "leg_calling": ("appel", "calling"),
    "leg_ringing": ("sonne", "ringing"),
    "leg_answered": ("en communication", "answered"),
    "leg_ended": ("terminée", "ended"),
    "leg_held": ("en attente", "held"),
    "leg_handset": ("téléphone", "handset"),
    "leg_sip_in": ("SIP entrant", "SIP in"),
    "leg_sip_out": ("SIP sortant", "SIP out"),
    # outcomes
    "outcome_answered": ("répondu", "answered"),
    "outcome_busy": ("occupé", "busy"),
    "outcome_no_answer": ("sans réponse", "no answer"),
    "outcome_unreachable": ("injoignable", "unreachable"),
    "outcome_rejected": ("refusé", "rejected"),
    "outcome_loop": ("boucle de renvois", "forwarding loop"),
    "outcome_abandoned": ("abandonné", "abandoned"),
    # errors of the control API, by code
    "error_no_call": ("Rien à faire : pas d'appel dans cet état.", "Nothing to do: no such call."),
    "error_invalid_number": ("Numéro non valide.", "Not a valid number."),
    "error_invalid_keys": (
        "Touches non valides : chiffres, * et # seulement.",
        "Not valid keys: digits, * and # only.",
    ),
    "error_handset_unreachable": (
        "Ce téléphone est éteint ou hors couverture.",
        "This handset is off or out of coverage.",
    ),
    "error_other": ("Erreur : {0}", "Error: {0}"),
}

_REASONS: dict[ForwardingKind, tuple[str, str]] = {
    ForwardingKind.UNCONDITIONAL: ("renvoi immédiat", "unconditional forwarding"),
    ForwardingKind.BUSY: ("renvoi sur occupation", "forwarding on busy"),
    ForwardingKind.NO_REPLY: ("renvoi sur non-réponse", "forwarding on no reply"),
    ForwardingKind.NOT_REACHABLE: ("renvoi sur injoignabilité", "forwarding when not reachable"),
}

_WHY: dict[CallEventKind, tuple[str, str]] = {
    CallEventKind.ABBREVIATED_DIALLED: (
        "Numéro abrégé de l'annuaire : {to}",
        "Directory abbreviated number: {to}",
    ),
    CallEventKind.OFFERED: ("Présenté à {to}", "Offered to {to}"),
    CallEventKind.FORWARDED: (
        "Renvoyé de {from_} vers {to} : {reason}",
        "Forwarded from {from_} to {to}: {reason}",
    ),
    CallEventKind.LIST_RING: ("Liste d'appels : fait sonner {to}", "Call list: rings {to}"),
    CallEventKind.DO_NOT_DISTURB: ("{to} en « ne pas déranger »", "{to} in do-not-disturb"),
    CallEventKind.CRITERIA: ("Critères de {to} : ", "Criteria of {to}: "),
    CallEventKind.RESTRICTED: (
        "{to} interdit par le profil de restriction",
        "{to} not allowed by the restriction profile",
    ),
    CallEventKind.GROUP_OFFERED: ("Présenté au groupe d'appel {to}", "Offered to call group {to}"),
    CallEventKind.QUEUED: ("Mis en file d'attente du groupe", "Queued in the group"),
    CallEventKind.ANSWERED: ("Répondu par {to}", "Answered by {to}"),
    CallEventKind.TRANSFERRED: (
        "Transféré : {from_} mis en relation avec {to}",
        "Transferred: {from_} put through to {to}",
    ),
    CallEventKind.CONFERENCE_JOINED: ("Entré en conférence", "Joined a conference"),
    CallEventKind.CONFERENCE_LEFT: ("Sorti de la conférence", "Left the conference"),
    CallEventKind.RELEASED: ("Libéré ({cause})", "Released ({cause})"),
}
_DND_BUSY = (" : traité comme occupé", ": the busy treatment")
_DND_EXEMPT = (" : collègue exempté, la ligne sonne", ": a colleague, exempt: the line rings")
_GROUP_RULE = ("règle de non-réponse du groupe", "the group's no-answer rule")
_NOT_RUNG = (" — ne sonne pas", " — not rung")
_VOICEMAIL = (" (messagerie vocale)", " (voicemail)")


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[1] if language is Language.EN else pair[0]


def texts(language: Language) -> dict[str, str]:
    return {key: _pick(pair, language) for key, pair in _TEXTS.items()}


def language_of(query: str | None, accept: str | None) -> Language:
    """The page's language: ``?lang=`` when it names one, else the browser's first known
    language in Accept-Language, else French."""
    if query in (Language.FR.value, Language.EN.value):
        return Language(query)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in (Language.FR.value, Language.EN.value):
            return Language(tag)
    return Language.FR


def why(
    event: CallEvent,
    language: Language,
    *,
    party: Callable[[str | None], str],
) -> str:
    """What the event says FleetPBX decided, and why. ``party``: a number as shown."""
    template = _pick(_WHY[event.kind], language)
    detail = event.detail or {}
    if event.kind is CallEventKind.FORWARDED:
        if event.forwarding_kind is not None:
            reason = _pick(_REASONS[event.forwarding_kind], language)
        elif event.group_id is not None:
            reason = _pick(_GROUP_RULE, language)
        else:
            reason = "?"
    else:
        reason = ""
    text = template.format(
        to=party(event.to_number),
        from_=party(event.from_number),
        reason=reason,
        cause=str(detail.get("cause", "")),
    )
    if event.kind is CallEventKind.OFFERED and detail.get("loop"):
        text += _pick((" — boucle de renvois", " — forwarding loop"), language)
    if event.kind is CallEventKind.LIST_RING and "mode" in detail:
        text += f" ({detail['mode']})"
    if event.kind is CallEventKind.ABBREVIATED_DIALLED and "abbreviated" in detail:
        text += f" ({detail['abbreviated']})"
    if event.kind is CallEventKind.DO_NOT_DISTURB:
        exempt = detail.get("dnd") == "colleague_exempt"
        text += _pick(_DND_EXEMPT if exempt else _DND_BUSY, language)
    if event.kind is CallEventKind.CRITERIA:  # the rule that matched (issue 16)
        text += explain(detail, english=language is Language.EN)
    if event.kind is CallEventKind.RESTRICTED and "barring" in detail:
        barred = ("{to} : restriction d'appels {code}", "{to}: call barring {code}")
        text = _pick(barred, language).format(to=party(event.to_number), code=detail["barring"])
        if detail.get("skipped"):  # a list's entry or a group's member barring incoming calls
            text += _pick(_NOT_RUNG, language)
        if "location" in detail:  # BOIC, BOIC-exHC while roaming: where the line was
            text += f" ({detail['location']})"
    elif event.kind is CallEventKind.RESTRICTED:
        text += f" ({detail.get('restriction')}, {detail.get('destination')})"
    if event.kind is CallEventKind.RESTRICTED and event.forwarding_kind is not None:
        reason = _pick(_REASONS[event.forwarding_kind], language)
        text += _pick((" : {r} non suivi", ": {r} not followed"), language).format(r=reason)
    if event.kind is CallEventKind.FORWARDED and detail.get("target") == "voicemail":
        text += _pick(_VOICEMAIL, language)
    return text
