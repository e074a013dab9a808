"""TS 22.030 control strings: a large table of procedures, codes, SI slots and garbage."""

from __future__ import annotations

import itertools

import pytest

from featurecodes.catalogue import Catalogue, CatalogueError
from featurecodes.grammar import (
    ANNEX_B_CODES,
    Clir,
    GrammarError,
    GrammarReason,
    PlainCall,
    Procedure,
    ServiceRequest,
    UssdString,
    classify,
)

CODES = Catalogue().codes
PROCEDURES = {
    "*": Procedure.ACTIVATION,
    "**": Procedure.REGISTRATION,
    "#": Procedure.DEACTIVATION,
    "*#": Procedure.INTERROGATION,
    "##": Procedure.ERASURE,
}


@pytest.mark.parametrize(("prefix", "code"), list(itertools.product(PROCEDURES, sorted(CODES))))
def test_every_procedure_with_every_service_code(prefix: str, code: str) -> None:
    parsed = classify(f"{prefix}{code}#", known_codes=CODES)
    assert parsed == ServiceRequest(PROCEDURES[prefix], code, text=f"{prefix}{code}#")
    with_number = classify(f"{prefix}{code}*0612345678#", known_codes=CODES)
    assert isinstance(with_number, ServiceRequest)
    assert (with_number.procedure, with_number.sia) == (PROCEDURES[prefix], "0612345678")


@pytest.mark.parametrize(
    ("text", "sia", "sib", "sic"),
    [
        ("**61*0612345678**25#", "0612345678", None, "25"),
        ("**61*0612345678*11*20#", "0612345678", "11", "20"),
        ("**61*+33612345678*10#", "+33612345678", "10", None),
        ("**21**11#", None, "11", None),
        ("*55*2500*1703#", "2500", "1703", None),
        ("*56*2500*2202*2001#", "2500", "2202", "2001"),
        ("#56*2500*2202#", "2500", "2202", None),
        ("**002*0145678910**#", "0145678910", None, None),
        ("*57*2#", "2", None, None),
    ],
)
def test_supplementary_information_slots_may_be_empty(
    text: str, sia: str | None, sib: str | None, sic: str | None
) -> None:
    parsed = classify(text, known_codes=CODES)
    assert isinstance(parsed, ServiceRequest)
    assert parsed.info == (sia, sib, sic)


@pytest.mark.parametrize("timer", ["4", "5", "30", "31", "99", "0"])
def test_the_no_reply_timer_is_read_as_given(timer: str) -> None:
    parsed = classify(f"**61*0612345678**{timer}#", known_codes=CODES)
    assert isinstance(parsed, ServiceRequest) and parsed.sic == timer  # range checked by the rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*31#0612345678", PlainCall("0612345678", Clir.SUPPRESS)),
        ("#31#0612345678", PlainCall("0612345678", Clir.INVOKE)),
        ("#31#+33612345678", PlainCall("+33612345678", Clir.INVOKE)),
        ("0612345678", PlainCall("0612345678")),
        ("+33612345678", PlainCall("+33612345678")),
        ("2001", PlainCall("2001")),
        ("*700#", UssdString("*700#")),
        ("*123*4#", UssdString("*123*4#")),
        ("*#06#", UssdString("*#06#")),
        ("*99#", UssdString("*99#")),
        ("1#", UssdString("1#")),
        ("*21*0612345678*1*2*3#", UssdString("*21*0612345678*1*2*3#")),
        (" *#21# ", ServiceRequest(Procedure.INTERROGATION, "21", text="*#21#")),
    ],
)
def test_dial_strings_are_classified(text: str, expected: object) -> None:
    assert classify(text, known_codes=CODES) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", GrammarReason.EMPTY),
        ("   ", GrammarReason.EMPTY),
        ("*21*abc#", GrammarReason.INVALID_CHARACTERS),
        ("hello", GrammarReason.INVALID_CHARACTERS),
        ("06 12 34 56 78é", GrammarReason.INVALID_CHARACTERS),
        ("#", GrammarReason.MALFORMED),
        ("###", GrammarReason.MALFORMED),
        ("*21*0612", GrammarReason.MALFORMED),
        ("+", GrammarReason.MALFORMED),
        ("*" * 200 + "#", GrammarReason.TOO_LONG),
    ],
)
def test_garbage_is_a_typed_error_never_an_exception(text: str, reason: GrammarReason) -> None:
    parsed = classify(text, known_codes=CODES)
    assert isinstance(parsed, GrammarError) and parsed.reason is reason


def test_an_undeclared_service_code_is_a_ussd_string() -> None:
    assert classify("*55*2500*1703#") == UssdString("*55*2500*1703#")  # Annex B only
    assert isinstance(classify("*55*2500*1703#", known_codes=CODES), ServiceRequest)


def test_pabx_codes_do_not_collide_with_annex_b() -> None:
    catalogue = Catalogue()
    assert (
        not {catalogue.group_member, catalogue.group_admin, catalogue.incoming_list} & ANNEX_B_CODES
    )
    with pytest.raises(CatalogueError, match="Annex B"):
        Catalogue(group_member="31")  # Orange's *31* would hide the caller id
    with pytest.raises(CatalogueError, match="differ"):
        Catalogue(group_member="55", group_admin="55")
    with pytest.raises(CatalogueError):
        Catalogue(menu="700")
