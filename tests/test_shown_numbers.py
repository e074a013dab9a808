"""How every page shows a number (``fleet.core.numbering.shown``, the templates' ``phone``
and ``phones`` filters) and a count (``portal.plurals``): pure, no database."""

from __future__ import annotations

import jinja2
import pytest

from fleet.core.numbering import E164, shown
from fleet.core.values import Language
from portal import plurals, rendering


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (E164("+33609182236"), "06 09 18 22 36"),
        ("+33609182236", "06 09 18 22 36"),
        ("0609182236", "06 09 18 22 36"),
        ("06.09.18.22.36", "06 09 18 22 36"),
        ("06 09 18 22 36", "06 09 18 22 36"),
        ("+33 1 45 67 89 10", "01 45 67 89 10"),
        ("2004", "2004"),  # a short number
        ("112", "112"),
        ("anonymous", "anonymous"),  # a party as recorded
        ("", ""),
        (None, ""),
        ("06123", "06123"),  # not a number: as typed
    ],
)
def test_numbers_are_shown_in_national_format_with_spaces(
    value: E164 | str | None, expected: str
) -> None:
    assert shown(value) == expected


def test_a_number_can_be_shown_without_spaces() -> None:
    assert shown("+33609182236", spaced=False) == "0609182236"
    assert shown(E164("+33145678910"), spaced=False) == "0145678910"


def test_national_digits_are_read_in_the_services_region() -> None:
    assert shown("020 7946 0958", region="GB") == "020 7946 0958"
    assert shown("+442079460958") == "020 7946 0958"


def render(source: str, language: Language = Language.FR, **context: object) -> str:
    env = jinja2.Environment(autoescape=True)
    rendering.install(env, region="FR")
    return env.from_string(source).render(language=language, **context)


def test_the_templates_filters_show_numbers_alone_and_inside_text() -> None:
    assert render("{{ n|phone }}", n=E164("+33611000001")) == "06 11 00 00 01"
    assert render("{{ n|phone }}", n="2004") == "2004"
    text = '{"msisdn": "+33611000001", "short_number": "2001", "id": 12}'
    assert render("{{ s|phones }}", s=text) == (
        "{&#34;msisdn&#34;: &#34;06 11 00 00 01&#34;, &#34;short_number&#34;: &#34;2001&#34;, "
        "&#34;id&#34;: 12}"
    )
    assert render("{{ s|phones }}", s="chef → 0611000001") == "chef → 06 11 00 00 01"
    assert render("{{ s|phones }}", s="2026-11-23T08:30:00+01:00") == "2026-11-23T08:30:00+01:00"


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        (Language.FR, 0, "0 appel"),
        (Language.FR, 1, "1 appel"),
        (Language.FR, 2, "2 appels"),
        (Language.FR, 12345, "12\u00a0345 appels"),
        (Language.EN, 0, "0 calls"),
        (Language.EN, 1, "1 call"),
        (Language.EN, 2, "2 calls"),
        (Language.EN, 12345, "12,345 calls"),
    ],
)
def test_counts_take_the_plural_of_their_language(
    language: Language, n: int, expected: str
) -> None:
    assert plurals.count(language, n, "call") == expected
    assert render("{{ count(n, 'call') }}", language, n=n) == expected


def test_french_zero_and_one_are_singular_english_one_only() -> None:
    assert plurals.count(Language.FR, 0, "line") == "0 ligne"
    assert plurals.count(Language.FR, 1, "unchanged") == "1 inchangée"
    assert plurals.count(Language.EN, 0, "line") == "0 lines"
    assert plurals.noun(Language.FR, 1, "impact_lines") == "ligne mobile supprimée"
    assert plurals.noun(Language.FR, 3, "impact_lines") == "lignes mobiles supprimées"
    assert plurals.noun(Language.EN, 1, "impact_managers_losing") == "manager who loses the fleet"
