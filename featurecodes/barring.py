"""The call-barring procedures of a handset (3GPP TS 22.030 Annex B, TS 22.088), each with
the line's barring password (``fleet.services.barringpw``):

- ``*33*PW#`` / ``**33*PW#`` activate a program (33, 331, 332, 35, 351), ``#33*PW#``
  deactivates it, ``*#33#`` tells its state and lists the line's active programs;
- ``#330*PW#`` deactivates every program, ``#333*PW#`` the outgoing ones, ``#353*PW#`` the
  incoming ones;
- ``**03*330*OLD*NEW*NEW#`` (or ``**03**OLD*NEW*NEW#``) changes the password.

A program is a line setting (``fleet.core.barring.SETTINGS``): once the password is checked it
is switched through the line service, like the manager's change (journal, change hub, routing
cache before the answer). A wrong password changes nothing but its count; the lock at the
third and a new password are journalled (channel ``ussd``, never the password)."""

from __future__ import annotations

from featurecodes import texts
from featurecodes.grammar import Procedure, ServiceRequest
from fleet.core import model
from fleet.core.barring import SETTINGS, Barring, active
from fleet.core.linesettings import LineSetting
from fleet.core.values import Actor, Language
from fleet.services.container import Services

P = Procedure
PROGRAMS: frozenset[str] = frozenset(b.value for b in Barring)
GROUPS: dict[str, tuple[Barring, ...]] = {
    "330": tuple(Barring),  # all barring services
    "333": (Barring.BAOC, Barring.BOIC, Barring.BOIC_EXHC),  # outgoing barring services
    "353": (Barring.BAIC, Barring.BAIC_ROAM),  # incoming barring services
}
TELEPHONY_SERVICES = {None, "10", "11"}

_NAMES: dict[Barring, tuple[str, str]] = {
    Barring.BAOC: ("appels sortants", "outgoing calls"),
    Barring.BOIC: ("internationaux", "international calls"),
    Barring.BOIC_EXHC: ("internationaux hors pays", "international ex home"),
    Barring.BAIC: ("appels entrants", "incoming calls"),
    Barring.BAIC_ROAM: ("entrants en itinérance", "incoming when roaming"),
}
_TEXTS: dict[str, tuple[str, str]] = {
    "on": ("Interdiction {code} ({name}) activée.", "Barring {code} ({name}) activated."),
    "off": ("Interdiction {code} ({name}) désactivée.", "Barring {code} ({name}) deactivated."),
    "all_off": ("Interdictions {codes} désactivées.", "Barring {codes} deactivated."),
    "state": ("Interdiction {code} ({name}) : {state}.", "Barring {code} ({name}): {state}."),
    "state_on": ("active", "active"),
    "state_off": ("inactive", "inactive"),
    "active": ("Interdictions actives : {codes}.", "Active barring: {codes}."),
    "none": ("Aucune interdiction active.", "No barring active."),
    "password_missing": (
        "Mot de passe d'interdiction requis : {example}",
        "Barring password needed: {example}",
    ),
    "password_changed": (
        "Mot de passe d'interdiction modifié.",
        "Barring password changed.",
    ),
}


def _text(lang: Language, key: str, **params: object) -> str:
    fr, en = _TEXTS[key]
    return texts.fit((fr if lang is Language.FR else en).format(**params))


def _name(lang: Language, program: Barring) -> str:
    fr, en = _NAMES[program]
    return fr if lang is Language.FR else en


def status(lang: Language, line: model.Line) -> str:
    """The line's active programs, by code."""
    codes = active(line)
    if not codes:
        return _text(lang, "none")
    return _text(lang, "active", codes=", ".join(b.value for b in codes))


class BarringCommands:
    def __init__(self, *, services: Services) -> None:
        self._services = services

    async def run(self, line: model.Line, req: ServiceRequest, actor: Actor) -> str:
        """A barring procedure (a program's code or a group's) from ``line``."""
        lang = line.language
        if req.sib not in TELEPHONY_SERVICES or req.sic is not None:
            return texts.text(lang, "basic_service", code=req.sib or req.sic)
        if req.procedure is P.INTERROGATION:
            if req.code in PROGRAMS:
                program = Barring(req.code)
                on = SETTINGS[program].of(line)
                state = _text(lang, "state_on" if on else "state_off")
                first = _text(
                    lang, "state", code=program.value, name=_name(lang, program), state=state
                )
                return texts.fit(f"{first}\n{status(lang, line)}")
            return status(lang, line)
        switch_on = req.procedure in (P.ACTIVATION, P.REGISTRATION)
        if req.procedure is P.ERASURE or (switch_on and req.code not in PROGRAMS):
            return texts.text(lang, "not_supported")
        if not req.sia:
            example = f"{req.procedure.value}{req.code}*PW#"
            return _text(lang, "password_missing", example=example)
        await self._services.barring.check(actor, line.id, req.sia)
        programs = (Barring(req.code),) if req.code in PROGRAMS else GROUPS[req.code]
        changes: dict[LineSetting[bool], bool] = {SETTINGS[p]: switch_on for p in programs}
        await self._services.lines.update(actor, line.id, settings=dict(changes))
        if len(programs) > 1:
            return _text(lang, "all_off", codes=", ".join(p.value for p in programs))
        program = programs[0]
        return _text(
            lang, "on" if switch_on else "off", code=program.value, name=_name(lang, program)
        )

    async def password(self, line: model.Line, req: ServiceRequest, actor: Actor) -> str:
        """``**03*330*OLD*NEW*NEW#``: the line's new barring password (journalled)."""
        lang = line.language
        if req.procedure not in (P.REGISTRATION, P.ACTIVATION) or req.sia not in (None, "330"):
            return texts.text(lang, "not_supported")
        await self._services.barring.change(actor, line.id, req.sib, req.sic, req.sid)
        return _text(lang, "password_changed")
