"""SQLAlchemy mapping of the configuration domain. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import (
    AuditAction,
    CallEventKind,
    CallOutcome,
    Channel,
    CodeKind,
    DistributionMode,
    ForwardingKind,
    Language,
    NoAnswerAction,
    RingMode,
    Role,
    SessionCase,
)
from fleet.db.types import UTCDateTime, enum_type

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NUMBER = 16  # E.164: '+' and at most 15 digits


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FleetRow(Base):
    __tablename__ = "fleets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_number_length: Mapped[int] = mapped_column(Integer)
    language: Mapped[Language] = mapped_column(enum_type(Language))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LineRow(Base):
    __tablename__ = "lines"
    __table_args__ = (
        UniqueConstraint("fleet_id", "short_number"),
        Index("ix_lines_fleet_name", "fleet_id", "employee_name", "id"),  # the lines page
        # the lines page's search, "…term…" anywhere (PostgreSQL's pg_trgm; migration 0010)
        *(
            Index(
                f"ix_lines_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("employee_name", "msisdn", "short_number")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    msisdn: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    short_number: Mapped[str | None] = mapped_column(String(8))
    employee_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[Language] = mapped_column(enum_type(Language))
    pabx_option: Mapped[bool] = mapped_column(Boolean)
    call_waiting: Mapped[bool] = mapped_column(Boolean)
    clir: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    forwardings: Mapped[list[ForwardingRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ForwardingRow.kind"
    )
    incoming_list: Mapped[IncomingListRow | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    memberships: Mapped[list[MemberRow]] = relationship(
        back_populates="line", cascade="all, delete-orphan", passive_deletes=True
    )


class FixedNumberRow(Base):
    __tablename__ = "fixed_numbers"
    __table_args__ = (UniqueConstraint("fleet_id", "short_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    trunk: Mapped[str] = mapped_column(String(64))
    short_number: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrunkRow(Base):
    """A SIP trunk to a company's PBX; its Digest secret is stored encrypted (Fernet)."""

    __tablename__ = "trunks"
    __table_args__ = (UniqueConstraint("fleet_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    mode: Mapped[TrunkMode] = mapped_column(enum_type(TrunkMode))
    host: Mapped[str | None] = mapped_column(String(253))
    port: Mapped[int | None] = mapped_column(Integer)
    transport: Mapped[TrunkTransport] = mapped_column(enum_type(TrunkTransport))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    realm: Mapped[str | None] = mapped_column(String(64))
    secret: Mapped[str | None] = mapped_column(String(512))  # Fernet token
    history: Mapped[HistoryStyle] = mapped_column(enum_type(HistoryStyle))
    state: Mapped[TrunkState] = mapped_column(enum_type(TrunkState))
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ForwardingRow(Base):
    __tablename__ = "forwardings"
    __table_args__ = (UniqueConstraint("line_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    kind: Mapped[ForwardingKind] = mapped_column(enum_type(ForwardingKind))
    destination: Mapped[str | None] = mapped_column(String(NUMBER))
    active: Mapped[bool] = mapped_column(Boolean)
    no_reply_timer: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncomingListRow(Base):
    __tablename__ = "incoming_lists"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[RingMode] = mapped_column(enum_type(RingMode))
    ring_time: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entries: Mapped[list[IncomingEntryRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="IncomingEntryRow.position",
    )


class IncomingEntryRow(Base):
    __tablename__ = "incoming_list_entries"
    __table_args__ = (
        UniqueConstraint("line_id", "position"),
        UniqueConstraint("line_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("incoming_lists.line_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(NUMBER))


class GroupRow(Base):
    __tablename__ = "call_groups"
    __table_args__ = (
        UniqueConstraint("fleet_id", "name"),
        UniqueConstraint("fleet_id", "short_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    short_number: Mapped[str | None] = mapped_column(String(8))
    user_code: Mapped[str] = mapped_column(String(4))
    admin_code: Mapped[str] = mapped_column(String(4))
    queue_size: Mapped[int] = mapped_column(Integer)
    switchover_delay: Mapped[int] = mapped_column(Integer)
    intercall_delay: Mapped[int] = mapped_column(Integer)
    distribution: Mapped[DistributionMode] = mapped_column(enum_type(DistributionMode))
    max_queue_wait: Mapped[int] = mapped_column(Integer)
    no_answer_action: Mapped[NoAnswerAction] = mapped_column(enum_type(NoAnswerAction))
    no_answer_number: Mapped[str | None] = mapped_column(String(NUMBER))
    no_answer_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_groups.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[MemberRow]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MemberRow.position",
    )


class MemberRow(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        Index("ix_group_members_line_id", "line_id"),
        UniqueConstraint("group_id", "position"),
    )

    group_id: Mapped[int] = mapped_column(
        ForeignKey("call_groups.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    connected: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    group: Mapped[GroupRow] = relationship(back_populates="members")
    line: Mapped[LineRow] = relationship(back_populates="memberships")


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    display_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[Language] = mapped_column(enum_type(Language))
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean)
    # every session and API token carries it; a new one ends them all (sign-out, password,
    # disabling): random, so an account id reused after a deletion matches no old session
    session_epoch: Mapped[str] = mapped_column(String(32))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    fleets: Mapped[list[AccountFleetRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class AccountFleetRow(Base):
    __tablename__ = "account_fleets"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    fleet_id: Mapped[int] = mapped_column(
        ForeignKey("fleets.id", ondelete="CASCADE"), primary_key=True
    )


class CodeGuardRow(Base):
    """The lock-out's turnstile for one (line, group, kind of code): every check of such a
    code takes this row first, with an upsert (a row lock on PostgreSQL, the database's
    write lock on SQLite), so checks of the same code from the same line run one after the
    other, in every process, and the count of failures they read is the true one."""

    __tablename__ = "code_guards"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("call_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginSourceRow(Base):
    """Wrong passwords from one source address (any account, known or not): past a few,
    each attempt from it must wait a growing delay (``not_before``)."""

    __tablename__ = "login_sources"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)  # also the attempts being verified
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginLockRow(Base):
    """Wrong passwords for one login from one source address: after five, that address is
    locked out of that login (and only that one) for a while. Keyed by the login's digest
    (``loginguard.login_key``), whether an account has that login or not, so an attacker
    cannot tell a login that exists from one that does not by how it is refused."""

    __tablename__ = "login_locks"

    login_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)  # also the attempts being verified
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodeFailureRow(Base):
    """A wrong code (or a right one from a line that may not use it) typed from a line for
    one group's code of one kind (for the lock-out; kept while it lies in the window)."""

    __tablename__ = "code_failures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["line_id", "group_id", "kind"],
            ["code_guards.line_id", "code_guards.group_id", "code_guards.kind"],
            ondelete="CASCADE",
        ),
        Index("ix_code_failures_guard_at", "line_id", "group_id", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


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
