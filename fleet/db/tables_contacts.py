"""The company directory's external contacts (issue 16, ``fleet.core.contacts``): a name, a
company, a number, an optional abbreviated number dialled from every line of the fleet, and
notes. A number and an abbreviated number appear once per fleet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleet.core import contacts
from fleet.db.tables_base import NUMBER, Base
from fleet.db.types import UTCDateTime


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("fleet_id", "number"),
        UniqueConstraint("fleet_id", "abbreviated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(contacts.NAME_MAX))
    company: Mapped[str] = mapped_column(String(contacts.COMPANY_MAX))
    number: Mapped[str] = mapped_column(String(NUMBER))
    abbreviated: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(String(contacts.NOTES_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
