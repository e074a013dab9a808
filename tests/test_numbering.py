"""Number parsing and classification with phonenumbers (pure, no database)."""

from __future__ import annotations

import pytest

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberClass, NumberPolicy, short_number

POLICY = NumberPolicy()


@pytest.mark.parametrize(
    ("raw", "kind", "e164"),
    [
        ("0612345678", NumberClass.NATIONAL, "+33612345678"),
        ("06 12 34 56 78", NumberClass.NATIONAL, "+33612345678"),
        ("06.12.34.56.78", NumberClass.NATIONAL, "+33612345678"),
        ("+33 1 45 67 89 10", NumberClass.NATIONAL, "+33145678910"),
        ("0033145678910", NumberClass.NATIONAL, "+33145678910"),
        ("2001", NumberClass.SHORT, None),
        ("3615", NumberClass.SHORT, None),
        ("0899123456", NumberClass.SPECIAL, "+33899123456"),
        ("+442079460958", NumberClass.INTERNATIONAL, "+442079460958"),
        ("0612", NumberClass.INVALID, None),
        ("hello", NumberClass.INVALID, None),
        ("", NumberClass.INVALID, None),
    ],
)
def test_dialled_strings_are_classified(raw: str, kind: NumberClass, e164: str | None) -> None:
    got_kind, got = POLICY.classify(raw)
    assert got_kind is kind
    assert (got.value if got else None) == e164


def test_numbers_show_in_national_format() -> None:
    assert E164("+33612345678").national() == "06 12 34 56 78"
    assert E164("+33145678910").national_digits() == "0145678910"


def test_e164_refuses_malformed_values() -> None:
    with pytest.raises(ValueError):
        E164("0612345678")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0145678910", None),
        ("0612345678", None),
        ("1234", ErrorCode.NUMBER_SHORT_NOT_ALLOWED),
        ("+4915112345678", ErrorCode.NUMBER_INTERNATIONAL_NOT_ALLOWED),
        ("0800123456", ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED),
        ("0756123456", ErrorCode.NUMBER_PREFIX_NOT_ALLOWED),
        ("0912345678", ErrorCode.NUMBER_PREFIX_NOT_ALLOWED),
        ("06123", ErrorCode.NUMBER_INVALID),
        (" ", ErrorCode.NUMBER_REQUIRED),
    ],
)
def test_destination_policy_french_default(raw: str, code: ErrorCode | None) -> None:
    if code is None:
        assert POLICY.destination(raw).national_digits() == raw
        return
    with pytest.raises(DomainError) as caught:
        POLICY.destination(raw)
    assert caught.value.code is code
    assert caught.value.field == "destination"


def test_policy_is_data_and_can_be_widened() -> None:
    wide = NumberPolicy(allowed_prefixes=(*POLICY.allowed_prefixes, "07", "09"))
    assert wide.destination("0756123456") == E164("+33756123456")
    assert wide.destination("0912345678") == E164("+33912345678")
    with pytest.raises(DomainError):
        wide.destination("0899123456")


def test_lines_must_be_mobile_and_fixed_numbers_fixed() -> None:
    assert POLICY.mobile("0612345678") == E164("+33612345678")
    assert POLICY.fixed("0145678910") == E164("+33145678910")
    assert POLICY.fixed("0912345678") == E164("+33912345678")  # VoIP numbers are fixed lines
    with pytest.raises(DomainError) as caught:
        POLICY.mobile("0145678910")
    assert caught.value.code is ErrorCode.NUMBER_NOT_MOBILE
    with pytest.raises(DomainError) as caught:
        POLICY.fixed("0612345678")
    assert caught.value.code is ErrorCode.NUMBER_NOT_FIXED


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("2001", True), ("0201", False), ("201", False), ("20a1", False), ("٢٠٠١", False)],
)
def test_short_numbers_have_the_fleet_length(raw: str, ok: bool) -> None:
    if ok:
        assert short_number(raw, length=4) == raw
    else:
        with pytest.raises(DomainError):
            short_number(raw, length=4)


def test_every_error_has_a_french_and_an_english_message() -> None:
    from fleet.core.errors import catalogue

    for code, (_, fr, en) in catalogue().items():
        assert fr and en and fr != en, code
    assert set(catalogue()) == set(ErrorCode)


def test_the_error_table_in_the_docs_lists_every_code() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text("utf-8")
    missing = [code.value for code in ErrorCode if f"`{code.value}`" not in text]
    assert missing == []
