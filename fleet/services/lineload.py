"""Loading a line for a change to its services, with the PABX-option check."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.db.tables import LineRow


async def pabx_line(session: AsyncSession, line_id: int, *, lock: bool = False) -> LineRow:
    """The line, which must have the PABX option to configure its services; with ``lock``,
    changes of this line's services wait for each other (``SELECT … FOR UPDATE``)."""
    row = await session.get(LineRow, line_id, with_for_update=lock)
    if row is None:
        raise not_found("line", line_id)
    return check_pabx(row)


def check_pabx(row: LineRow) -> LineRow:
    """The line itself, when it has the PABX option; refused otherwise."""
    if not row.pabx_option:
        raise DomainError(
            ErrorCode.PABX_OPTION_REQUIRED, field="line", number=E164(row.msisdn).national()
        )
    return row
