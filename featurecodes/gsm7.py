"""The GSM 03.38 default alphabet: whether a text fits GSM-7, and how long a USSD answer
may be in it (182 characters) or in UCS-2 (80 characters)."""

from __future__ import annotations

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\f^{}\\[~]|€"  # each takes two septets (escape + character)

_BASIC = frozenset(BASIC) - {"\x1b"}
_EXTENSION = frozenset(EXTENSION)

USSD_GSM7_MAX = 182
USSD_UCS2_MAX = 80


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def septets(text: str) -> int:
    """Length in septets (extension characters count twice)."""
    return sum(2 if ch in _EXTENSION else 1 for ch in text)


def fit_ussd(text: str) -> str:
    """Cut a text to one USSD screen: 182 septets in GSM-7, else 80 UCS-2 characters."""
    if is_gsm7(text):
        if septets(text) <= USSD_GSM7_MAX:
            return text
        out, used = [], 0
        for ch in text:
            cost = 2 if ch in _EXTENSION else 1
            if used + cost > USSD_GSM7_MAX - 3:
                break
            out.append(ch)
            used += cost
        return "".join(out) + "..."
    return text if len(text) <= USSD_UCS2_MAX else text[: USSD_UCS2_MAX - 3] + "..."
