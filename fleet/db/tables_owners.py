"""Who owns which fleet for calls (issue 15, ``fleet.db.owners``): the owner's process id and
the SIP address calls to that fleet are redirected to. A row is only believed while its
process holds the fleet's advisory lock; a stale row (its owner died) is overwritten by the
next owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db.tables_base import Base
from fleet.db.types import UTCDateTime


class FleetOwnerRow(Base):
    __tablename__ = "fleet_owners"

    fleet_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fleets.id", ondelete="CASCADE"), primary_key=True
    )
    process: Mapped[str] = mapped_column(String(64))
    sip_uri: Mapped[str] = mapped_column(String(255))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
