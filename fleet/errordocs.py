"""Writes docs/errors.md from the error catalogue:

python -m fleet.errordocs > docs/errors.md
"""

from __future__ import annotations

import sys

from fleet.core.errors import catalogue

HEADER = """# Error codes

Every refusal of a rule is a `DomainError` with one of these stable codes, the field at fault
when there is one, and a message in French and English (`{…}` are filled in). The kind tells
each edge how to translate it (HTTP status, USSD answer, CLI exit code) — one table per edge,
none in the domain.

| code | kind | message (fr) | message (en) |
|---|---|---|---|
"""
PIPE = "|"
ESCAPED_PIPE = "\\|"


def render() -> str:
    rows = []
    for code, (kind, fr, en) in catalogue().items():
        french, english = (text.replace(PIPE, ESCAPED_PIPE) for text in (fr, en))
        rows.append(f"| `{code.value}` | {kind.value} | {french} | {english} |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
