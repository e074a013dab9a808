"""SQLAlchemy mapping of the durable records: the SMS outbox, the audit journal, call records
and their events. No foreign keys to the configuration: records outlive what they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.core.values import (
    AuditAction,
    CallEventKind,
    CallOutcome,
    Channel,
    ForwardingKind,
    SessionCase,
)
from fleet.db.tables_base import NUMBER, Base
from fleet.db.types import UTCDateTime, enum_type


class OutboxRow(Base):
    """An SMS to send; kept until the SMSC accepted it (survives outages and restarts) or
    it is given up (``dead_at``: refused for good, or failed too often). A sender claims
    rows for a while (``claimed_until``) before sending them: no one else takes them then.
    No foreign keys: a row outlives the line it was for."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_pending", "sent_at", "id"),
        Index("ix_sms_outbox_waiting_by_number", "msisdn", "sent_at", "dead_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int | None] = mapped_column(Integer)
    line_id: Mapped[int | None] = mapped_column(Integer)
    msisdn: Mapped[str] = mapped_column(String(NUMBER))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """The audit journal. No foreign keys: entries outlive what they describe."""

    __tablename__ = "audit_journal"
    __table_args__ = (Index("ix_audit_journal_fleet_at", "fleet_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    fleet_id: Mapped[int | None] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CallRecordRow(Base):
    __tablename__ = "call_records"
    __table_args__ = (
        Index("ix_call_records_fleet_offered", "fleet_id", "offered_at"),
        Index("ix_call_records_correlation", "correlation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    fleet_id: Mapped[int | None] = mapped_column(Integer)
    caller: Mapped[str] = mapped_column(String(32))
    called: Mapped[str] = mapped_column(String(32))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[CallOutcome | None] = mapped_column(enum_type(CallOutcome))
    cause: Mapped[str | None] = mapped_column(String(64))
    session_case: Mapped[SessionCase] = mapped_column(
        enum_type(SessionCase),
        default=SessionCase.TERMINATING,
        server_default=SessionCase.TERMINATING.value,
    )
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    caller_network_id: Mapped[str | None] = mapped_column(String(255))
    callee_network_id: Mapped[str | None] = mapped_column(String(255))

    events: Mapped[list[CallEventRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="CallEventRow.seq"
    )


class CallEventRow(Base):
    __tablename__ = "call_record_events"
    __table_args__ = (UniqueConstraint("call_record_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_record_id: Mapped[int] = mapped_column(ForeignKey("call_records.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[CallEventKind] = mapped_column(enum_type(CallEventKind))
    forwarding_kind: Mapped[ForwardingKind | None] = mapped_column(enum_type(ForwardingKind))
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(Integer)
    member_line_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
