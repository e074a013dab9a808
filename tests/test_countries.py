"""Mobile country codes to countries (``fleet.core.countries``, ITU-T E.212 through the
``mcc-mnc-p1`` table) and a country's calling code (E.164), and the line location built from
them (``fleet.core.roaming``)."""

from __future__ import annotations

import pytest

from fleet.core.countries import Country, countries_of_mcc, country, mcc_of
from fleet.core.roaming import AT_HOME, LineLocation, Place


def test_a_mobile_country_code_names_its_country_and_calling_code() -> None:
    assert countries_of_mcc("208") == (Country("FR"),)
    (spain,) = countries_of_mcc("214")
    assert (spain.code, spain.calling_code) == ("ES", 34)
    assert countries_of_mcc("262") == (Country("DE"),)


def test_a_shared_code_names_every_country_and_a_code_of_none_none() -> None:
    assert {"GB", "JE", "GG", "IM"} <= {c.code for c in countries_of_mcc("234")}
    assert countries_of_mcc("001") == ()  # test networks
    assert countries_of_mcc("999") == ()


def test_a_country_has_a_mobile_country_code_for_the_simulators() -> None:
    assert mcc_of(Country("ES")) == "214"
    assert mcc_of(Country("FR")) == "208"
    assert mcc_of(Country("GB")) in ("234", "235")


@pytest.mark.parametrize("raw", ["", "E", "ESP", "X1", "XX"])
def test_a_country_is_an_iso_alpha_2_code_with_a_calling_code(raw: str) -> None:
    with pytest.raises(ValueError, match="country"):
        country(raw)


@pytest.mark.parametrize("raw", ["21", "2140", "abc"])
def test_a_mobile_country_code_is_three_digits(raw: str) -> None:
    with pytest.raises(ValueError, match="mobile country code"):
        countries_of_mcc(raw)


def test_a_line_location_has_countries_only_abroad() -> None:
    assert country(" es ") == Country("ES")
    spain = LineLocation.abroad(Country("ES"))
    assert spain.roaming and spain.country == Country("ES") and spain.describe() == "abroad:ES"
    assert spain.in_country("ES") and not spain.in_country("FR") and not spain.in_country(None)
    assert not AT_HOME.roaming and AT_HOME.describe() == "home"
    with pytest.raises(ValueError, match="only abroad"):
        LineLocation(Place.HOME, (Country("ES"),))
