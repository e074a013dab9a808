"""What a handset dialled: the number and the per-call caller-id override (TS 22.030)."""

from __future__ import annotations

import pytest

from fleet.core.dialling import ClirOverride, Dialled, Presentation


@pytest.mark.parametrize(
    ("dialled", "number", "override"),
    [
        ("0611000003", "0611000003", None),
        ("2003", "2003", None),
        ("#31#2003", "2003", ClirOverride.INVOKE),
        ("*31#0611000003", "0611000003", ClirOverride.SUPPRESS),
        ("#31#+33611000003", "+33611000003", ClirOverride.INVOKE),
        (" #31# 06 11 00 00 03", "0611000003", ClirOverride.INVOKE),
        ("#31#", "#31#", None),  # no number after the prefix: nothing to call
        ("*21*0611000003#", "*21*0611000003#", None),  # a service code, not a prefix
        ("", "", None),
    ],
)
def test_a_dialled_string_splits_into_the_number_and_its_clir_prefix(
    dialled: str, number: str, override: ClirOverride | None
) -> None:
    assert Dialled.parse(dialled) == Dialled(number=number, override=override)


@pytest.mark.parametrize(
    ("dialled", "hidden_by_default", "presentation"),
    [
        ("2003", False, Presentation.ALLOWED),
        ("2003", True, Presentation.RESTRICTED),
        ("#31#2003", False, Presentation.RESTRICTED),
        ("#31#2003", True, Presentation.RESTRICTED),
        ("*31#2003", True, Presentation.ALLOWED),
        ("*31#2003", False, Presentation.ALLOWED),
    ],
)
def test_the_prefix_overrides_the_lines_hidden_number_for_one_call(
    dialled: str, hidden_by_default: bool, presentation: Presentation
) -> None:
    assert Dialled.parse(dialled).presentation(hidden_by_default=hidden_by_default) is presentation
