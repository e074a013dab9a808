"""The settings of a line, each described once (pure).

A line setting is a value every line carries and its user or manager switches: the PABX
option, call waiting, the hidden number (CLIR)... Its ``LineSetting`` — name, type, default,
labels and help in French and English, the MMI service code and the USSD answers if it has
one — is the only place that knows it. From ``LINE_SETTINGS``:

- ``model.Line`` keeps one typed field per setting and the ``lines`` table one column, both
  named ``setting.name`` (checked when the description is made, and by the tests);
- the services fill the views and check the values (type, default) from the descriptions;
  a business rule of one setting (the PABX option stays while the line is in a group) stays
  in the service, keyed by that setting;
- the portal's line form, the REST API (its OpenAPI schema, rendering and PATCH), and the
  USSD command (``*SC#`` on, ``#SC#`` off, ``*#SC#`` status) are generated from them;
- the call engine reads a line's value through the typed accessor: ``CALL_WAITING.of(line)``;
- the user portal's own page offers the settings marked ``employee`` (the employee's switches).

A setting is a switch (``bool``: a checkbox, a JSON boolean, activation and deactivation
codes) or a choice among the values of a ``StrEnum`` (``choices``: each value's label, in
the order shown; a select, a JSON string of the enum's values, no service code) — the
restriction profile is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Language, RestrictionProfile

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Text:
    """One text, in French and in English."""

    fr: str
    en: str

    def __call__(self, language: Language) -> str:
        return self.fr if language is Language.FR else self.en


@dataclass(frozen=True, slots=True)
class UssdAnswers:
    """What the handset shows once the setting is switched on (``*SC#``) or off (``#SC#``);
    an interrogation (``*#SC#``) answers with the text of the current state."""

    on: Text
    off: Text

    def answer(self, value: bool) -> Text:
        return self.on if value else self.off


_LINE_FIELDS = {f.name: f.type for f in fields(model.Line)}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per setting
class LineSetting(Generic[T]):
    """One setting of a line. ``name`` is the field of ``model.Line``, the column of the
    ``lines`` table, the form field and the JSON property."""

    name: str
    type: type[T]
    default: T
    label: Text
    help: Text | None = None
    service_code: str | None = None  # MMI service code (TS 22.030), when the handset sets it
    answers: UssdAnswers | None = None  # the USSD answers, with a service code
    employee: bool = False  # the employee switches it on the user portal's own page
    # a choice setting (``type`` a StrEnum): every value's label, in the order shown
    choices: Mapping[Any, Text] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # model.Line is written with postponed annotations: its field types are their names
        if _LINE_FIELDS.get(self.name) != self.type.__name__:
            raise ValueError(
                f"line setting {self.name!r}: model.Line needs a field "
                f"{self.name}: {self.type.__name__}"
            )
        if not _is(self.default, self.type):
            raise ValueError(f"line setting {self.name!r}: the default is not a {self.type}")
        if self.type is not bool and not issubclass(self.type, StrEnum):
            raise ValueError(f"line setting {self.name!r}: a switch (bool) or a StrEnum")
        if self.switch != (not self.choices):
            raise ValueError(f"line setting {self.name!r}: the labels of a StrEnum's values")
        if self.choices and set(self.choices) != set(cast(type[StrEnum], self.type)):
            raise ValueError(f"line setting {self.name!r}: a label for each value")
        if (self.service_code is None) != (self.answers is None):
            raise ValueError(f"line setting {self.name!r}: a service code goes with its answers")
        if self.service_code is not None:
            if self.type is not bool:
                raise ValueError(f"line setting {self.name!r}: only a switch has a service code")
            if not (self.service_code.isdigit() and 2 <= len(self.service_code) <= 3):
                raise ValueError(f"line setting {self.name!r}: a service code of 2 or 3 digits")

    @property
    def switch(self) -> bool:
        """A switch (``bool``), else a choice among the values of a StrEnum."""
        return self.type is bool

    def values(self) -> tuple[T, ...]:
        """A choice setting's values, in the order shown (``()`` for a switch)."""
        return tuple(self.choices)

    def parse(self, value: object) -> T:
        """A value as an edge receives it — a JSON boolean, a choice's value as text — of
        the setting's type; a ``DomainError`` otherwise."""
        if not self.switch and isinstance(value, str):
            found = {str(v): v for v in self.choices}.get(value)
            if found is not None:
                return cast(T, found)
        return self.check(value)

    def of(self, line: model.Line) -> T:
        """This setting's value on a line."""
        return cast(T, getattr(line, self.name))

    def check(self, value: object) -> T:
        """The value, when it is of the setting's type; a ``DomainError`` otherwise."""
        if not _is(value, self.type):
            if not self.switch:
                raise DomainError(
                    ErrorCode.SETTING_CHOICE_INVALID,
                    field=self.name,
                    setting=self.name,
                    choices=", ".join(str(v) for v in self.choices),
                )
            raise DomainError(
                ErrorCode.SETTING_VALUE_INVALID,
                field=self.name,
                setting=self.name,
                type=self.type.__name__,
            )
        return cast(T, value)

    def __repr__(self) -> str:
        return f"LineSetting({self.name!r})"


def _is(value: object, kind: type) -> bool:
    """Of exactly that kind: a bool is no int here, an int no bool."""
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


PABX_OPTION = LineSetting(
    name="pabx_option",
    type=bool,
    default=True,
    label=Text("Option PABX", "PABX option"),
    help=Text(
        "Renvois, liste d'appels entrants, groupes d'appel et codes de service ; "
        "ne se retire pas tant que la ligne est membre d'un groupe.",
        "Forwarding, incoming-call list, call groups and service codes; "
        "cannot be removed while the line is a member of a group.",
    ),
)
CALL_WAITING = LineSetting(
    name="call_waiting",
    type=bool,
    default=True,
    label=Text("Double appel", "Call waiting"),
    help=Text(
        "Un second appel est signalé pendant une communication.",
        "A second call is announced during a call.",
    ),
    service_code="43",
    answers=UssdAnswers(
        on=Text("Double appel activé.", "Call waiting on."),
        off=Text("Double appel désactivé.", "Call waiting off."),
    ),
    employee=True,
)
CLIR = LineSetting(
    name="clir",
    type=bool,
    default=False,
    label=Text("Numéro masqué par défaut", "Hide my number by default"),
    help=Text(
        "Les appels de la ligne arrivent en « numéro masqué ».",
        "The line's calls reach the callee with the number withheld.",
    ),
    service_code="31",
    answers=UssdAnswers(
        on=Text("Numéro masqué activé.", "Caller ID hidden."),
        off=Text("Numéro masqué désactivé.", "Caller ID shown."),
    ),
    employee=True,
)
DND = LineSetting(
    name="dnd",
    type=bool,
    default=False,
    label=Text("Ne pas déranger", "Do not disturb"),
    help=Text(
        "La ligne ne sonne pas : l'appelant est renvoyé comme sur occupation "
        "(renvoi sur occupation s'il est actif, sinon tonalité d'occupation).",
        "The line does not ring: callers get the busy treatment "
        "(busy forwarding when active, else the busy tone).",
    ),
    service_code="26",
    answers=UssdAnswers(
        on=Text("Ne pas déranger activé.", "Do not disturb on."),
        off=Text("Ne pas déranger désactivé.", "Do not disturb off."),
    ),
    employee=True,
)
DND_VPN_EXEMPT = LineSetting(
    name="dnd_vpn_exempt",
    type=bool,
    default=False,
    label=Text("Ne pas déranger : collègues exemptés", "Do not disturb: colleagues exempt"),
    help=Text(
        "En « ne pas déranger », les appels des lignes et numéros fixes de la flotte "
        "sonnent quand même.",
        "In do-not-disturb, calls from the fleet's own lines and fixed numbers still ring.",
    ),
    employee=True,
)

_P = RestrictionProfile
RESTRICTION_PROFILE = LineSetting(
    name="restriction_profile",
    type=RestrictionProfile,
    default=RestrictionProfile.UNRESTRICTED,
    label=Text("Profil de restriction", "Restriction profile"),
    help=Text(
        "Les destinations que la ligne peut appeler et vers lesquelles elle peut renvoyer ; "
        "les numéros d'urgence restent toujours autorisés.",
        "The destinations the line may call and forward to; emergency numbers are always allowed.",
    ),
    choices={
        _P.EMERGENCY: Text("Urgences, gratuits et SAV", "Emergency, free and service numbers"),
        _P.VPN: Text("Flotte (VPN) seule", "Fleet (VPN) only"),
        _P.NATIONAL: Text("National seul", "National fixed only"),
        _P.NATIONAL_SHARED_COST: Text(
            "National et numéros Azur", "National fixed and shared-cost (081)"
        ),
        _P.FRANCE: Text("Fixes et mobiles France", "France fixed and mobiles"),
        _P.FRANCE_OVERSEAS: Text(
            "Fixes et mobiles et DOM-TOM", "France fixed and mobiles, overseas included"
        ),
        _P.NO_INTERNATIONAL: Text("Sauf international", "All but international"),
        _P.NO_PREMIUM: Text("Sauf appels surtaxés", "All but premium-rate numbers"),
        _P.UNRESTRICTED: Text("Tout autorisé", "Unrestricted"),
    },
)


def _barring(
    name: str, code: str, fr: str, en: str, help_fr: str, help_en: str
) -> LineSetting[bool]:
    """A 3GPP call barring program (TS 22.088) of the line, with its MMI code in the label."""
    return LineSetting(
        name=name,
        type=bool,
        default=False,
        label=Text(f"Restriction {fr} ({code})", f"Barring of {en} ({code})"),
        help=Text(help_fr, help_en),
    )


BAOC = _barring(
    "barring_all_outgoing",
    "33",
    "de tous les appels sortants",
    "all outgoing calls",
    "Seuls les numéros d'urgence restent joignables.",
    "Only emergency numbers can be called.",
)
BOIC = _barring(
    "barring_outgoing_international",
    "331",
    "des appels internationaux",
    "outgoing international calls",
    "Les appels vers un autre pays que celui où est la ligne sont refusés (à l'étranger, "
    "vers la France aussi).",
    "Calls to another country than the one the line is in are refused (abroad, home too).",
)
BOIC_EXHC = _barring(
    "barring_outgoing_international_ex_home",
    "332",
    "des appels internationaux sauf vers la France",
    "international calls except to the home country",
    "Comme la précédente, mais à l'étranger la France reste joignable.",
    "As the one before, but abroad home can still be called.",
)
BAIC = _barring(
    "barring_all_incoming",
    "35",
    "de tous les appels entrants",
    "all incoming calls",
    "Les appelants entendent un message et sont libérés.",
    "Callers hear an announcement and are released.",
)
BAIC_ROAM = _barring(
    "barring_incoming_roaming",
    "351",
    "des appels entrants en itinérance",
    "incoming calls when roaming",
    "Tant que le mobile est à l'étranger, les appelants entendent un message.",
    "While the handset is abroad, callers hear an announcement.",
)
BARRINGS: tuple[LineSetting[bool], ...] = (BAOC, BOIC, BOIC_EXHC, BAIC, BAIC_ROAM)

# the manager's lock on the presented number (fleet/core/presented.py): seed 002 §2.8 lets
# "chaque utilisateur" choose it on the user web (the default), seed 003 §7.2 lets the manager
# impose it; the choice itself is no setting (a reference to a group), this switch is
PRESENTED_USER_CHOICE = LineSetting(
    name="presented_user_choice",
    type=bool,
    default=True,
    label=Text(
        "L'utilisateur choisit son numéro présenté", "The user chooses the presented number"
    ),
    help=Text(
        "Sur le portail utilisateur, parmi les numéros permis (sa ligne, le numéro entreprise, "
        "ses groupements) ; sinon seul le gestionnaire le choisit.",
        "On the user portal, among the allowed numbers (the line, the main number, its "
        "groups); otherwise only the manager chooses it.",
    ),
)

# every setting, in the order the form and the API show them
LINE_SETTINGS: tuple[LineSetting[Any], ...] = (
    PABX_OPTION,
    CALL_WAITING,
    CLIR,
    DND,
    DND_VPN_EXEMPT,
    RESTRICTION_PROFILE,
    *BARRINGS,
    PRESENTED_USER_CHOICE,
)
BY_NAME: dict[str, LineSetting[Any]] = {s.name: s for s in LINE_SETTINGS}
SWITCHES: tuple[LineSetting[bool], ...] = tuple(s for s in LINE_SETTINGS if s.switch)


def defaults() -> dict[LineSetting[Any], Any]:
    """Every setting's default value."""
    return {s: s.default for s in LINE_SETTINGS}


def checked(values: Mapping[LineSetting[Any], object]) -> dict[LineSetting[Any], Any]:
    """The values given, each checked against its description (``DomainError`` if not)."""
    return {setting: setting.check(value) for setting, value in values.items()}


def _unique() -> None:
    codes = [s.service_code for s in LINE_SETTINGS if s.service_code is not None]
    if len(BY_NAME) != len(LINE_SETTINGS) or len(set(codes)) != len(codes):
        raise ValueError("line settings: each name and each service code once")


_unique()
