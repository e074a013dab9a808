"""The directory's contacts as a CSV file (issue 16 item 6, seed 000: "un fichier .csv avec
deux colonnes contenant le nom et le numéro de téléphone", and its template to fill in).

Reading: UTF-8 (a BOM allowed), ``;`` or ``,`` (whichever the header line has more of), a
header naming the columns — ``name`` and ``number`` required, ``company``, ``abbreviated`` and
``notes`` optional; the French headers of the template (``nom``, ``numéro``, ``société``,
``numéro abrégé``, ``notes``) are read too. Seed 000 warns that a spreadsheet drops a number's
leading 0: a number of the national length less one digit, not starting with 0, gets it back.
Writing: ``;``, UTF-8 with a BOM, every column, numbers in national form."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fleet.core.contacts import Contact
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.services.contacts import ContactInput, RowFault

BOM = "\ufeff"
COLUMNS = ("name", "number", "company", "abbreviated", "notes")
REQUIRED = ("name", "number")
ALIASES = {
    "nom": "name",
    "numéro": "number",
    "numero": "number",
    "numéro de téléphone": "number",
    "numero de telephone": "number",
    "société": "company",
    "societe": "company",
    "entreprise": "company",
    "numéro abrégé": "abbreviated",
    "numero abrege": "abbreviated",
}
MAX_ROWS = 1000  # the directory's limit (fleet.core.contacts.MAX_CONTACTS_PER_FLEET)


def encode(contacts: Sequence[Contact]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for c in contacts:
        writer.writerow(
            [c.name, c.number.national_digits(), c.company, c.abbreviated or "", c.notes]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def decode(
    data: bytes, *, policy: NumberPolicy
) -> tuple[list[tuple[int, ContactInput]], list[RowFault]]:
    """The file's rows (their line and contact) and the faults found reading it (line 0: the
    whole file). Rules are checked by the import (``ContactService.import_rows``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowFault(0, DomainError(ErrorCode.IMPORT_ENCODING_INVALID, position=exc.start))]
    if "\x00" in text:
        position = text.index("\x00")
        return [], [RowFault(0, DomainError(ErrorCode.IMPORT_ENCODING_INVALID, position=position))]
    first = text.split("\n", 1)[0]
    separator = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader, None) or []
        names = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
        faults = [
            RowFault(
                1,
                DomainError(ErrorCode.IMPORT_COLUMN_UNKNOWN, column=n, allowed=", ".join(COLUMNS)),
            )
            for n in names
            if n not in COLUMNS
        ]
        faults += [
            RowFault(1, DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column=n))
            for n in REQUIRED
            if n not in names
        ]
        if faults:
            return [], faults
        rows: list[tuple[int, ContactInput]] = []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                detail = f"{len(cells)} / {len(names)}"
                faults.append(
                    RowFault(line, DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=detail))
                )
                continue
            if len(rows) >= MAX_ROWS:
                detail = f"> {MAX_ROWS}"
                faults.append(
                    RowFault(line, DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=detail))
                )
                break
            cell = dict(zip(names, (c.strip() for c in cells), strict=True))
            rows.append(
                (
                    line,
                    ContactInput(
                        name=cell["name"],
                        number=_leading_zero(cell["number"], policy),
                        company=cell.get("company", ""),
                        abbreviated=cell.get("abbreviated", ""),
                        notes=cell.get("notes", ""),
                    ),
                )
            )
    except csv.Error as exc:
        error = DomainError(ErrorCode.IMPORT_FORMAT_INVALID, detail=str(exc))
        return [], [RowFault(reader.line_num, error)]
    return rows, faults


def _leading_zero(raw: str, policy: NumberPolicy) -> str:
    """Seed 000: a spreadsheet drops the first 0 of ``0612345678``; put it back."""
    digits = policy.clean(raw)
    if digits.isdigit() and len(digits) == policy.national_length - 1 and digits[0] != "0":
        return "0" + digits
    return raw
